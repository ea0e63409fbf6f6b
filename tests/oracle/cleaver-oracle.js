// Print what the real Cleaver 0.8.7 makes of each deck, as JSON: the test oracle for deck2pdf's parser.
// Only Cleaver's slicing, YAML and Markdown run: themes, styles and layouts are never loaded, so no network.
'use strict';
const fs = require('fs');
const Cleaver = require('cleaver');

async function slidesOf(file) {
  const cleaver = new Cleaver(fs.readFileSync(file, 'utf-8'), {}, require('path').dirname(file));
  try {
    await cleaver.loadDocument();
    await cleaver.renderSlides();
  } catch (err) {
    return { file, error: String(err && err.message || err) };
  }
  return {
    file,
    title: cleaver.options.title || null,
    slides: cleaver.slides.map((s) => ({ id: s.id, classes: String(s.classList || ''), html: s.content })),
  };
}

(async () => {
  const out = [];
  for (const file of process.argv.slice(2)) out.push(await slidesOf(file));
  process.stdout.write(JSON.stringify(out));
})();
