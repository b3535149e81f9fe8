/* The code screen, made nicer when JavaScript runs (it works without): the "send a new code" button waits out the
   cooldown with a live count, and on Android Chrome the code is read from the SMS (WebOTP: the SMS ends with
   "@<this host> #<code>"). */
(function () {
  "use strict";
  var resend = document.querySelector("[data-enable-after]");
  var note = document.querySelector("[data-countdown]");
  if (resend) {
    var left = parseInt(resend.getAttribute("data-enable-after"), 10) || 0;
    var template = note ? note.textContent : "";
    resend.disabled = left > 0;
    var tick = function () {
      left -= 1;
      if (left <= 0) {
        resend.disabled = false;
        if (note) note.hidden = true;
        return;
      }
      if (note) note.textContent = template.replace(/\d+/, String(left));
      window.setTimeout(tick, 1000);
    };
    if (left > 0) window.setTimeout(tick, 1000);
  }
  var form = document.querySelector("form[data-webotp]");
  if (form && "OTPCredential" in window) {
    var input = form.querySelector("input[autocomplete='one-time-code']");
    var abort = new AbortController();
    form.addEventListener("submit", function () { abort.abort(); });
    navigator.credentials.get({ otp: { transport: ["sms"] }, signal: abort.signal }).then(function (otp) {
      if (otp && input) {
        input.value = otp.code;
        form.submit();
      }
    }).catch(function () { /* typed by hand instead */ });
  }
})();
