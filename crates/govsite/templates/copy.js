// 标识管理: the copy button of each badge snippet. The button stays hidden without JavaScript;
// the text area can always be selected and copied by hand.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var area = document.getElementById(button.getAttribute("data-copy"));
  var status = button.parentNode.querySelector(".copy-status");
  button.hidden = false;
  button.addEventListener("click", function () {
    area.select();
    var done = function () { status.textContent = "已复制到剪贴板"; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(area.value).then(done, function () {
        status.textContent = "无法自动复制，请按 Ctrl+C 复制已选中的代码";
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });
});
