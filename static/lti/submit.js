// The deep-linking answer goes back to the LMS at once; the button stays for browsers without JS.
document.getElementById("deep-link-return")?.submit();
