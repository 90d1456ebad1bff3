// The standards table and its history (templates/standards/): a cell form swapped in place gets the focus, so the
// keyboard user lands where they edit; a form with data-confirm (restoring a version) asks before it posts.
document.addEventListener("htmx:load", function (event) {
  var elt = event.detail.elt;
  if (!elt || !elt.querySelector) return;
  var form = elt.matches(".cell-form") ? elt : elt.querySelector(".cell-form");
  if (!form) return;
  var input = form.querySelector("input:not([type=hidden]), select");
  if (input) input.focus();
});
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) event.preventDefault();
});
