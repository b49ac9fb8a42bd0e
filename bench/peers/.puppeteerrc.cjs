// @memlab/core depends on puppeteer; the bench uses only its heap snapshot parser, so no browser is downloaded.
module.exports = { skipDownload: true }
