// Tokenizes .coe files with the real TextMate engine (vscode-textmate and
// vscode-oniguruma, as VS Code does) and checks the scopes against what
// coe's own parser says each token is.
//
//   node test/grammar.test.js EXPECTATIONS.json
//
// EXPECTATIONS.json (written by tests/fast/editors.rs from coe's syntax
// tree): [{ "file": path, "tokens": [{ "line", "col", "len", "class" }] }].
// Every expected token must carry its class's scope, and every character
// that is not blank must carry some scope beyond `source.coe`.
"use strict";
const fs = require("fs");
const path = require("path");
const oniguruma = require("vscode-oniguruma");
const vsctm = require("vscode-textmate");

const SCOPES = {
  comment: "comment.",
  string: "string.quoted.double.coe",
  number: "constant.numeric.coe",
  unit: "keyword.other.unit.coe",
  kind: "entity.name.type.block.coe",
  key: "variable.other.property",
  interpolation: "punctuation.section.interpolation",
  boolean: "constant.language.boolean.coe",
  reference: "entity.name.reference.coe",
  member: "constant.other.member.coe",
};

async function main() {
  const expectations = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const wasm = fs.readFileSync(path.join(path.dirname(require.resolve("vscode-oniguruma")), "onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (s) => new oniguruma.OnigScanner(s),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () => {
      const file = path.join(__dirname, "..", "syntaxes", "coe.tmLanguage.json");
      return vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
  });
  const grammar = await registry.loadGrammar("source.coe");
  const failures = [];
  let checked = 0;
  for (const { file, tokens } of expectations) {
    const lines = fs.readFileSync(file, "utf8").split("\n");
    let stack = vsctm.INITIAL;
    const scopesAt = [];
    for (const line of lines) {
      const r = grammar.tokenizeLine(line, stack);
      stack = r.ruleStack;
      const at = new Array(line.length).fill(null);
      for (const t of r.tokens) {
        for (let i = t.startIndex; i < Math.min(t.endIndex, line.length); i++) at[i] = t.scopes;
      }
      scopesAt.push(at);
      at.forEach((scopes, i) => {
        if (!/\s/.test(line[i]) && scopes.length < 2) {
          failures.push(`${file}:${scopesAt.length}:${i + 1}: \`${line[i]}\` has no scope in ${JSON.stringify(line)}`);
        }
      });
    }
    for (const t of tokens) {
      checked++;
      const scopes = (scopesAt[t.line] || [])[t.col] || [];
      const want = SCOPES[t.class];
      if (!scopes.some((s) => s.startsWith(want))) {
        const text = lines[t.line].slice(t.col, t.col + t.len);
        failures.push(`${file}:${t.line + 1}:${t.col + 1}: \`${text}\` is a ${t.class} (${want}), scopes ${JSON.stringify(scopes)}`);
      }
    }
  }
  if (failures.length) {
    console.error(failures.slice(0, 40).join("\n"));
    console.error(`${failures.length} failures`);
    process.exit(1);
  }
  console.log(`grammar: ${checked} tokens in ${expectations.length} files have the scopes coe's parser gives them`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
