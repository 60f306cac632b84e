// Loads the TypeScript plugin through tsx (Nx itself loads plugins as CommonJS).
require('tsx/cjs/api').register();
module.exports = require('./src/nx-plugin.ts');
