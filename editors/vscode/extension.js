// Starts `coe lsp` for .coe files; everything else is the server's.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("coe").get("path") || "coe";
  client = new LanguageClient(
    "coe",
    "coe",
    { command, args: ["lsp"] },
    { documentSelector: [{ scheme: "file", language: "coe" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
