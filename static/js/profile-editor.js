// The ICP profile editor: add criterion rows from the template, show only the value inputs an operator takes.
(function () {
  var body = document.getElementById("criteria-body");
  if (!body) return;
  // The high end is only for "between"; yes/no operators take no value. Hidden, not disabled: the server decides.
  function showValueInputs(row) {
    var op = row.querySelector("select[name$='-op']");
    if (!op) return;
    var high = row.querySelector("input[name$='-value_high']"), value = row.querySelector("input[name$='-value']");
    high.style.visibility = op.value === "between" || high.value ? "visible" : "hidden";
    value.style.visibility = (op.value === "is_true" || op.value === "is_false") && !value.value ? "hidden" : "visible";
  }
  document.getElementById("add-criterion").addEventListener("click", function () {
    var total = document.getElementById("id_criteria-TOTAL_FORMS");
    var html = document.getElementById("criterion-template").innerHTML.replace(/__prefix__/g, total.value);
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(parseInt(total.value, 10) + 1);
    showValueInputs(body.lastElementChild);
  });
  body.addEventListener("change", function (event) {
    showValueInputs(event.target.closest("tr"));
  });
  body.querySelectorAll("tr").forEach(showValueInputs);
})();
