// Copy buttons on the calendar subscribe page: shown only when JavaScript runs (the address
// fields can always be selected and copied by hand).
(function () {
  "use strict";
  const status = document.getElementById("calendar-status");
  document.querySelectorAll(".calendar-copy").forEach(function (button) {
    const field = document.getElementById(button.dataset.copy);
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      field.select();
      const done = function () {
        if (status) status.textContent = button.dataset.copied || "";
        button.classList.add("calendar-copy--done");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          if (document.execCommand("copy")) done();
        });
      } else if (document.execCommand("copy")) {
        done();
      }
    });
  });
})();
