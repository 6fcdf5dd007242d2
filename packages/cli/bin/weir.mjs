#!/usr/bin/env node
// The weir command. Needs Node 24 (it runs TypeScript sources directly).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `weir needs Node.js 24 or newer, this is ${process.version}. Run it through npm (npx weir ...), which uses the Node 24 pinned in this project's devDependencies.\n`,
  );
  process.exit(2);
}
await import('../src/main.ts');
