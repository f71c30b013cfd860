// Syntax check of PowerShell scripts without PowerShell: parses each file
// with the tree-sitter PowerShell grammar (npm: tree-sitter-powershell, run
// by web-tree-sitter) and reports every ERROR or MISSING node with its line.
// Usage: node check-powershell.mjs <modules dir> file.ps1...
// Exit 0 when every file parses cleanly, 1 otherwise.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [modules, ...files] = process.argv.slice(2);
const require = createRequire(join(modules, 'noop.js'));
const { Parser, Language } = require('web-tree-sitter');

await Parser.init();
const language = await Language.load(join(modules, 'tree-sitter-powershell', 'tree-sitter-powershell.wasm'));
const parser = new Parser();
parser.setLanguage(language);

let bad = 0;
for (const file of files) {
  const tree = parser.parse(readFileSync(file, 'utf8'));
  const problems = [];
  const walk = (node) => {
    if (node.type === 'ERROR' || node.isMissing) {
      problems.push(`${file}:${node.startPosition.row + 1}:${node.startPosition.column + 1}: ` +
                    `${node.isMissing ? 'missing ' + node.type : 'syntax error'}`);
    }
    for (let i = 0; i < node.childCount; i++) walk(node.child(i));
  };
  walk(tree.rootNode);
  if (problems.length) {
    bad++;
    console.log(problems.join('\n'));
  } else {
    console.log(`${file}: ok`);
  }
}
process.exit(bad ? 1 : 0);
