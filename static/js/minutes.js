/* The minutes page (conferences/minutes_page.html): in an action item's form, the "Person"
   list offers the people of the chosen organisation only (each option names its organisations
   in data-organisations). Without JavaScript every person is offered and the server checks
   that the person belongs to the organisation. */
(function () {
  "use strict";

  function filterPeople(form) {
    const organisation = form.querySelector("select[name$='-organisation']");
    const person = form.querySelector("select[name$='-assignee']");
    if (!organisation || !person) return;
    const chosen = organisation.value;
    Array.from(person.options).forEach((option) => {
      if (!option.value) return;
      const theirs = (option.dataset.organisations || "").split(" ");
      const offered = !chosen || theirs.includes(chosen);
      option.hidden = !offered;
      option.disabled = !offered;
      if (!offered && option.selected) person.value = "";
    });
  }

  function enhance(root) {
    root.querySelectorAll("form.action-form").forEach(filterPeople);
  }

  document.addEventListener("change", (event) => {
    const form = event.target.closest && event.target.closest("form.action-form");
    if (form && event.target.matches("select[name$='-organisation']")) filterPeople(form);
  });
  document.addEventListener("htmx:load", (event) => enhance(event.target));
  enhance(document);
})();
