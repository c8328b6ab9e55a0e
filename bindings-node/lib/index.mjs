// ESM entry of the `rustlog` package (`import { RustLog } from 'rustlog'`): the CommonJS entry's
// exports, re-exported, so both module systems get the same objects.
export * from './index.js'
export { default } from './index.js'
