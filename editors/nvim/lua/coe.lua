-- coe for Neovim 0.7 and later: starts `coe lsp` for every .coe buffer, one
-- client per configuration (a directory of .coe files), and attaches it.
--
--   require("coe").setup({ cmd = { "coe", "lsp" } })
local M = {}

local clients = {}

local function start(bufnr, opts)
  local file = vim.api.nvim_buf_get_name(bufnr)
  local dir = vim.fn.fnamemodify(file, ":p:h")
  local id = clients[dir]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client({
      name = "coe",
      cmd = opts.cmd or { "coe", "lsp" },
      root_dir = dir,
      on_attach = opts.on_attach,
    })
    clients[dir] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

function M.setup(opts)
  opts = opts or {}
  vim.api.nvim_create_autocmd("FileType", {
    pattern = "coe",
    callback = function(args)
      vim.bo[args.buf].commentstring = "# %s"
      start(args.buf, opts)
    end,
  })
end

return M
