// Our TypeScript imports end in `.js` (NodeNext); in jest the source is `.ts`. Try the import as
// written first (packages that really ship `.js` files), then the `.ts` next to it.
module.exports = (request, options) => {
  try {
    return options.defaultResolver(request, options);
  } catch (error) {
    if (/^\.{1,2}\//.test(request) && request.endsWith('.js')) {
      return options.defaultResolver(`${request.slice(0, -3)}.ts`, options);
    }
    throw error;
  }
};
