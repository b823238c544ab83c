// The page's words in its language: Django's JavaScript catalogue (loaded by base.html before the
// modules) defines gettext, ngettext and interpolate. A page without the catalogue (the embedded
// map on another site, for one) gets the English words from these stand-ins.
export const gettext = window.gettext || ((text) => text);

export const ngettext =
  window.ngettext || ((singular, plural, count) => (count === 1 ? singular : plural));

export const interpolate =
  window.interpolate ||
  ((format, values) => format.replace(/%\((\w+)\)s/g, (_match, name) => String(values[name])));

// A translated text with named values: words("%(count)s partnerships", {count: 3}).
export const words = (format, values) => interpolate(format, values, true);
