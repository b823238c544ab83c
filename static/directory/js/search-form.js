// Leave the fields that were not filled in out of the search's address, so it reads
// "?near=Bolton&radius=25" rather than a dozen empty parameters. (Without JavaScript the server
// redirects to the same tidy address.)
const form = document.querySelector("form.search");
if (form) {
  form.addEventListener("formdata", (event) => {
    const empty = [...event.formData.entries()]
      .filter(([, value]) => value === "")
      .map(([name]) => name);
    for (const name of new Set(empty)) {
      const kept = event.formData.getAll(name).filter((value) => value !== "");
      event.formData.delete(name);
      for (const value of kept) event.formData.append(name, value);
    }
  });
}
