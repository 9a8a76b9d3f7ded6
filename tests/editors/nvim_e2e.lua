-- Driven by tests/fast/editors.rs: Debian's Neovim (0.7) as a real LSP
-- client of `coe lsp`, through editors/nvim. Opens a broken example, waits
-- for its diagnostics, asks for hover and completion, applies the quick fix,
-- formats, renames, and writes the buffer and a log to COE_OUT.
local repo, bin, file, out = os.getenv("COE_REPO"), os.getenv("COE_BIN"), os.getenv("COE_FILE"), os.getenv("COE_OUT")
local log = {}
local function say(s) table.insert(log, s) end
local function finish(code)
  local f = io.open(out, "w")
  f:write(table.concat(log, "\n") .. "\n--- buffer\n")
  f:write(table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n") .. "\n")
  f:close()
  vim.cmd(code == 0 and "qall!" or "cquit " .. code)
end
local function check(ok, what)
  if not ok then
    error("FAIL " .. what, 0)
  end
  say("ok " .. what)
end

local function main()

vim.opt.rtp:prepend(repo .. "/editors/nvim")
vim.cmd("runtime! ftdetect/coe.vim")
require("coe").setup({ cmd = { bin, "lsp" } })
vim.cmd("edit " .. file)
local buf = vim.api.nvim_get_current_buf()
check(vim.bo.filetype == "coe", "filetype is coe")

local client
check(vim.wait(10000, function()
  client = vim.lsp.get_active_clients()[1]
  return client ~= nil and client.initialized
end, 50), "coe lsp started and initialized")

local function diagnostics()
  return vim.diagnostic.get(buf)
end
check(vim.wait(10000, function() return #diagnostics() > 0 end, 50), "diagnostics arrive")
local d = diagnostics()[1]
check(d.code == "COE0001" and d.lnum == 13, "the colon is COE0001 on line 14: " .. vim.inspect({ d.code, d.lnum }))

local function at(line, col)
  return {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = line, character = col },
  }
end
local function request(method, params)
  local r = client.request_sync(method, params, 10000, buf)
  check(r ~= nil and r.err == nil, method .. " answers: " .. vim.inspect(r and r.err))
  return r.result
end

-- hover on `master_flavor`, completion in the labels-less template body
local hover = request("textDocument/hover", at(15, 4))
check(hover and hover.contents.value:find("master_flavor", 1, true) ~= nil, "hover explains master_flavor")
local items = request("textDocument/completion", at(16, 2))
local labels = {}
for _, i in ipairs(items.items or items) do labels[i.label] = true end
check(labels["docker_volume_size"] and labels["labels"], "completion offers attributes and nested blocks")

-- the quick fix for the colon, applied as a workspace edit
local range = { start = { line = d.lnum, character = d.col }, ["end"] = { line = d.end_lnum, character = d.end_col } }
local actions = request("textDocument/codeAction", {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = range,
  context = { diagnostics = { { range = range, message = d.message, code = d.code, severity = d.severity } } },
})
check(#actions >= 1 and actions[1].kind == "quickfix", "a quick fix is offered")
vim.lsp.util.apply_workspace_edit(actions[1].edit, "utf-16")
check(vim.api.nvim_buf_get_lines(buf, 13, 14, false)[1] == "  external_network= \"public\"", "the fix replaced `:` with `=`")
check(vim.wait(10000, function() return #diagnostics() == 0 end, 50), "the diagnostics clear after the fix")

-- formatting is `coe fmt`
local edits = request("textDocument/formatting", {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  options = { tabSize = 2, insertSpaces = true },
})
vim.lsp.util.apply_text_edits(edits, buf, "utf-16")
check(vim.api.nvim_buf_get_lines(buf, 13, 14, false)[1] == "  external_network = \"public\"", "formatting aligned the fixed line")

-- rename the template from its reference in the cluster
local line = vim.api.nvim_buf_get_lines(buf, 20, 21, false)[1]
local col = line:find("k8s-fcos", 1, true)
local edit = request("textDocument/rename", vim.tbl_extend("force", at(20, col), { newName = "k8s-main" }))
vim.lsp.util.apply_workspace_edit(edit, "utf-16")
local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
check(text:find('template "k8s-main"', 1, true) and text:find("template.k8s-main", 1, true) and not text:find("k8s-fcos", 1, true), "rename changed the declaration and the reference")

-- definition of the reference: the template's name
local def = request("textDocument/definition", at(20, col))
def = def[1] or def
check(def.range.start.line == 9, "definition is the template's line: " .. vim.inspect(def))

-- references (declaration included), outline, folds, semantic tokens, inlay hints
local refs = request("textDocument/references", vim.tbl_extend("force", at(20, col), { context = { includeDeclaration = true } }))
check(#refs == 2, "references: the declaration and the one use")
local doc = { textDocument = { uri = vim.uri_from_bufnr(buf) } }
local symbols = request("textDocument/documentSymbol", doc)
local names = {}
for _, sym in ipairs(symbols) do table.insert(names, sym.name) end
check(table.concat(names, ",") == "regionone,k8s-main,prod", "outline: " .. table.concat(names, ","))
local folds = request("textDocument/foldingRange", doc)
check(#folds >= 3, "folding ranges for the three blocks")
local tokens = request("textDocument/semanticTokens/full", doc)
check(#tokens.data > 0 and #tokens.data % 5 == 0, "semantic tokens")
local hints = request("textDocument/inlayHint", vim.tbl_extend("force", doc, {
  range = { start = { line = 0, character = 0 }, ["end"] = { line = 30, character = 0 } },
}))
check(#hints == 1 and hints[1].label:find("k8s_fedora_coreos_v1", 1, true) ~= nil, "an inlay hint on the cluster")
end

-- any error (a failed check, an API missing in this Neovim) ends the run
local ok, err = pcall(main)
if not ok then
  say(tostring(err))
  finish(1)
end
finish(0)
