#!/usr/bin/env node
// The `berth` executable. Berth ships as TypeScript and runs it through tsx's loader, so a fresh
// clone needs no build step before `npx berth`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
