// Behaviour shared by every page, kept out of the HTML so the Content-Security-Policy forbids inline scripts.
document.addEventListener("change", function (event) {
  // A select that applies itself (the language switch): submit its form as soon as it changes.
  if (event.target.matches("select[data-submit-on-change]")) {
    event.target.form.submit();
  }
});
