// The "Cymraeg" / "English" link carries the map view (#map=...) with it: the browser keeps a
// link's #fragment across the server's redirect to the same page in the other language.
for (const link of document.querySelectorAll("a[data-keep-view]")) {
  link.addEventListener("click", () => {
    link.hash = location.hash;
  });
}
