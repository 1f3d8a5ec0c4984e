
document.addEventListener('error', function (e) {
  var img = e.target;
  if (!img || img.tagName !== 'IMG') return;
  var box = document.createElement('div');
  box.className = img.classList.contains('mini') ? 'ph mini' : 'ph';
  box.setAttribute('data-placeholder', 'missing');
  box.textContent = 'no preview';
  img.replaceWith(box);
}, true);
