(function () {
  var root = document.documentElement;
  var buttons = document.querySelectorAll("[data-lang-button]");
  function show(lang) {
    root.setAttribute("data-lang", lang);
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", String(buttons[i].getAttribute("data-lang-button") === lang));
    }
  }
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function (event) {
      show(event.currentTarget.getAttribute("data-lang-button"));
    });
  }
  show(root.getAttribute("data-lang") || "both");
})();
