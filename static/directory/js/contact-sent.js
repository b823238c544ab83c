// When the page opens at a block marked data-focus-on-arrival (the contact form's confirmation,
// #contact-sent), move the focus there too: the browser only scrolls to it, and a screen reader
// would otherwise start reading from the top of the page.
const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
if (target && target.hasAttribute("data-focus-on-arrival")) {
  target.focus({ preventScroll: true });
}
