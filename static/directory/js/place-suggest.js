// Town suggestions for the "Near" box: asks /places/ as the user types and fills the native
// <datalist>, so the browser's own accessible suggestion list shows them. Without JavaScript the
// typed name is resolved on the server just the same.
const input = document.querySelector("input[list][data-suggest-url]");
const list = input && document.getElementById(input.getAttribute("list"));

if (input && list) {
  let timer = null;
  let pending = null;

  const show = (places) => {
    list.replaceChildren(
      ...places.map((place) => {
        const option = document.createElement("option");
        option.value = place.label;
        return option;
      }),
    );
  };

  const suggest = () => {
    const text = input.value.trim();
    if (text.length < 2) {
      show([]);
      return;
    }
    if (pending) pending.abort();
    pending = new AbortController();
    const url = `${input.dataset.suggestUrl}?${new URLSearchParams({ q: text })}`;
    fetch(url, { signal: pending.signal, headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : { places: [] }))
      .then((data) => show(data.places))
      .catch(() => {});
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 200);
  });
}
