// Stands in for `swagger-ui-dist/absolute-path.js` in the bundled build (see ../rspack.bundle.config.mjs).
// The original returns its own directory inside node_modules, which the runtime image does not have;
// the bundle build copies the Swagger UI assets to `swagger-ui/` next to the bundle instead.
// (`__dirname` is rewritten by rspack to the bundle's own directory: `node.__dirname: 'node-module'`.)
module.exports = function getAbsoluteFSPath() {
  return require('node:path').join(__dirname, 'swagger-ui');
};
