// The dashboard's own script, served from /static so the Content-Security-Policy needs no
// inline script and no eval. A form marked data-reset-on-success is cleared after htmx
// submitted it successfully (what hx-on would do, without evaluating attribute code).
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.target;
  if (event.detail.successful && form instanceof HTMLFormElement && form.hasAttribute("data-reset-on-success")) {
    form.reset();
  }
});
