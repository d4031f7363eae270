// Jest: a file imported as text (the gateway's console page files, bundled by webpack as asset/source).
module.exports = {
  process(source) {
    return { code: `module.exports = { __esModule: true, default: ${JSON.stringify(source)} };` };
  },
};
