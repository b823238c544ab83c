// Registration and editing form: a contact's "Organisation" list and an agreement's "Parties"
// offer the member organisations typed above as the user types them, instead of after a round
// trip. Values are member row numbers, as the server gives them; choices kept from before (value
// "o<id>") stay. Without JavaScript the server offers the same choices after any submit.
import { gettext } from "./translation.js";

const form = document.querySelector("form.editor-form");
// The server labels a match "Use Bolton Libraries, Bolton" (editor/forms.py, the same words in
// the page's language): the choice's label is what is left once those words are taken away.
const [usePrefix, useSuffix] = gettext("Use %(organisation)s").split("%(organisation)s");
const withoutUse = (text) => {
  let label = text;
  if (usePrefix && label.startsWith(usePrefix)) label = label.slice(usePrefix.length);
  if (useSuffix && label.endsWith(useSuffix)) label = label.slice(0, -useSuffix.length);
  return label.trim();
};
const members = form && form.querySelector("#members");

// One choice per member row that names an organisation and is not marked for removal.
const memberChoices = () => {
  const choices = [];
  for (const row of members.querySelectorAll("fieldset.row[id^='members-']")) {
    const prefix = row.id;
    const name = row.querySelector(`[name="${prefix}-name"]`);
    const town = row.querySelector(`[name="${prefix}-town"]`);
    const removed = row.querySelector(`[name="${prefix}-DELETE"]`);
    if (!name || (removed && removed.checked)) continue;
    let label = name.value.trim();
    if (!label) continue;
    const townName = town ? town.value.trim() : "";
    if (townName) label = `${label}, ${townName}`;
    // "Use Bolton Libraries, Bolton" chosen in answer to "already in the directory?".
    const chosen = row.querySelector(`[name="${prefix}-match"]:checked`);
    if (chosen && chosen.value !== "new" && chosen.labels.length) {
      label = withoutUse(chosen.labels[0].textContent.trim());
    }
    choices.push({ value: prefix.slice("members-".length), label });
  }
  return choices;
};

const isKept = (value) => /^o\d+$/.test(value);

const updateSelect = (select, choices) => {
  const selected = select.value;
  const none = [...select.options].filter((option) => option.value === "");
  const kept = [...select.options].filter((option) => isKept(option.value));
  const fresh = choices.map((choice) => {
    const option = document.createElement("option");
    option.value = choice.value;
    option.textContent = choice.label;
    return option;
  });
  select.replaceChildren(...none, ...fresh, ...kept);
  const options = [...select.options];
  select.value = options.some((option) => option.value === selected) ? selected : "";
};

const checkbox = (group, index, choice, checked) => {
  const id = `${group.id}_${index}`;
  const input = document.createElement("input");
  input.type = "checkbox";
  input.name = group.dataset.name;
  input.value = choice.value;
  input.id = id;
  input.checked = checked;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.append(input, ` ${choice.label}`);
  const wrapper = document.createElement("div");
  wrapper.append(label);
  return wrapper;
};

const updateParties = (group, choices) => {
  const inputs = [...group.querySelectorAll("input[type=checkbox]")];
  const checked = new Set(inputs.filter((input) => input.checked).map((input) => input.value));
  const kept = inputs
    .filter((input) => isKept(input.value))
    .map((input) => ({ value: input.value, label: input.labels[0].textContent.trim() }));
  const all = [...choices, ...kept];
  group.replaceChildren(
    ...all.map((choice, index) => checkbox(group, index, choice, checked.has(choice.value))),
  );
  const empty = form.querySelector(`[data-parties-empty="${group.dataset.name}"]`);
  if (empty) empty.hidden = all.length > 0;
};

const update = () => {
  const choices = memberChoices();
  for (const select of form.querySelectorAll("#contacts select[name$='-organisation']")) {
    updateSelect(select, choices);
  }
  for (const group of form.querySelectorAll("#agreements [data-name$='-parties']")) {
    updateParties(group, choices);
  }
};

if (members) {
  // The parties' checkbox groups are Django's <div id="id_agreements-N-parties">.
  for (const empty of form.querySelectorAll("[data-parties-empty]")) {
    const name = empty.dataset.partiesEmpty;
    const group = form.querySelector(`#id_${CSS.escape(name)}`);
    if (group) group.dataset.name = name;
  }
  members.addEventListener("input", update);
  members.addEventListener("change", update);
  update();
}
