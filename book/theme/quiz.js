// Interactive quizzes for the dsc book.
//
// Every ```quiz block (mdBook renders it as <pre><code class="language-quiz">)
// becomes a quiz: multiple choice (one or several correct options) and
// short answer, each question with a Check button, right/wrong feedback and
// the explanation. The format is in book/AUTHORING.md; book/tools/quiz_format.py
// checks the same rules at build time, so keep the two in step. Without
// JavaScript the block stays a readable plain list.
(function () {
  'use strict';

  // Parses the text of one quiz block: { questions: [...], errors: [...] }.
  function parseQuiz(text) {
    const questions = [];
    const errors = [];
    let question = null;
    let lastKind = null; // what the previous line was
    text.replace(/\n$/, '').split('\n').forEach(function (raw, index) {
      const line = raw.replace(/\s+$/, '');
      const number = index + 1;
      if (line.trim() === '') {
        question = null;
        lastKind = null;
        return;
      }
      if (line.startsWith('? ')) {
        if (question) errors.push(number + ': a new question needs a blank line before it');
        question = { text: line.slice(2).trim(), options: [], answers: [], explanations: [] };
        questions.push(question);
        lastKind = 'question';
        return;
      }
      if (!question) {
        errors.push(number + ": expected a question line starting with '? '");
        return;
      }
      if (line.startsWith('  ') && lastKind === 'question') {
        question.text += ' ' + line.trim();
        return;
      }
      const option = /^- \[([ xX])\] (.*)$/.exec(line);
      if (option) {
        question.options.push({ text: option[2].trim(), correct: option[1] !== ' ' });
        lastKind = 'option';
      } else if (line.startsWith('= ') || line === '=') {
        question.answers.push(line.slice(1).trim());
        lastKind = 'answer';
      } else if (line.startsWith('> ') || line === '>') {
        const explanation = line.slice(1).trim();
        if (lastKind === 'explanation') {
          question.explanations[question.explanations.length - 1] += ' ' + explanation;
        } else {
          question.explanations.push(explanation);
        }
        lastKind = 'explanation';
      } else {
        errors.push(number + ': not a quiz line: ' + line);
      }
    });
    questions.forEach(function (q, index) {
      const where = 'question ' + (index + 1) + ': ';
      if (q.options.length && q.answers.length) errors.push(where + 'has both options and answers');
      if (!q.options.length && !q.answers.length) errors.push(where + 'has no options and no answers');
      if (q.options.length && !q.options.some(function (o) { return o.correct; })) {
        errors.push(where + 'no option is marked correct');
      }
      if (q.explanations.length !== 1) errors.push(where + 'needs exactly one explanation');
    });
    if (!questions.length) errors.push('the quiz has no questions');
    return { questions: questions, errors: errors };
  }

  // Short answers compare trimmed, with spaces collapsed, ignoring case.
  function normalize(answer) {
    return answer.trim().split(/\s+/).join(' ').toLowerCase();
  }

  // Appends text to parent, with `backticked` parts as <code>.
  function appendText(parent, text) {
    text.split('`').forEach(function (part, index) {
      if (!part) return;
      if (index % 2 === 1) {
        const code = document.createElement('code');
        code.textContent = part;
        parent.appendChild(code);
      } else {
        parent.appendChild(document.createTextNode(part));
      }
    });
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) appendText(node, text);
    return node;
  }

  let quizCount = 0;

  function renderQuestion(question, quizId, index) {
    const id = quizId + '-q' + (index + 1);
    const box = element('fieldset', 'quiz-question');
    box.dataset.kind = question.options.length ? 'choice' : 'short';
    const legend = element('legend', 'quiz-prompt');
    legend.appendChild(element('span', 'quiz-number', (index + 1) + '. '));
    appendText(legend, question.text);
    box.appendChild(legend);

    const feedback = element('div', 'quiz-feedback');
    feedback.id = id + '-feedback';
    feedback.setAttribute('role', 'status');
    feedback.setAttribute('aria-live', 'polite');
    let isRight;

    if (question.options.length) {
      const correctCount = question.options.filter(function (o) { return o.correct; }).length;
      const type = correctCount > 1 ? 'checkbox' : 'radio';
      if (correctCount > 1) box.appendChild(element('p', 'quiz-hint', 'Tick every correct answer.'));
      const list = element('div', 'quiz-options');
      const inputs = question.options.map(function (option, optionIndex) {
        const label = element('label', 'quiz-option');
        const input = document.createElement('input');
        input.type = type;
        input.name = id;
        input.value = String(optionIndex);
        label.appendChild(input);
        label.appendChild(element('span', '', option.text));
        list.appendChild(label);
        return input;
      });
      box.appendChild(list);
      isRight = function () {
        return question.options.every(function (option, i) {
          return inputs[i].checked === option.correct;
        });
      };
    } else {
      const label = element('label', 'quiz-answer-label', 'Your answer: ');
      const input = document.createElement('input');
      input.type = 'text';
      input.className = 'quiz-answer';
      input.autocomplete = 'off';
      input.spellcheck = false;
      label.appendChild(input);
      box.appendChild(label);
      const accepted = question.answers.map(normalize);
      isRight = function () { return accepted.includes(normalize(input.value)); };
      // Enter in the text box checks, like the button.
      input.addEventListener('keydown', function (event) {
        if (event.key === 'Enter') {
          event.preventDefault();
          check();
        }
      });
    }

    const button = element('button', 'quiz-check', 'Check');
    button.type = 'button';
    button.setAttribute('aria-describedby', feedback.id);
    box.appendChild(button);
    box.appendChild(feedback);

    function check() {
      const right = isRight();
      feedback.textContent = '';
      feedback.dataset.result = right ? 'right' : 'wrong';
      feedback.className = 'quiz-feedback ' + (right ? 'quiz-right' : 'quiz-wrong');
      feedback.appendChild(element('strong', 'quiz-verdict',
        right ? 'Right.' : 'Not quite. Try again, or read why:'));
      feedback.appendChild(element('p', 'quiz-explanation', question.explanations[0]));
    }
    button.addEventListener('click', check);
    return box;
  }

  function renderQuiz(code) {
    const pre = code.closest('pre') || code;
    const parsed = parseQuiz(code.textContent);
    if (parsed.errors.length) {
      // Keep the plain text and say what is wrong (book/check.sh fails too).
      const note = element('p', 'quiz-error', 'This quiz could not be read: ' + parsed.errors.join('; '));
      pre.parentNode.insertBefore(note, pre);
      console.error('quiz.js: ' + parsed.errors.join('; '));
      return;
    }
    quizCount += 1;
    const quizId = 'quiz-' + quizCount;
    const quiz = element('div', 'quiz');
    quiz.id = quizId;
    quiz.setAttribute('role', 'group');
    quiz.setAttribute('aria-label', 'Quiz');
    parsed.questions.forEach(function (question, index) {
      quiz.appendChild(renderQuestion(question, quizId, index));
    });
    pre.parentNode.replaceChild(quiz, pre);
  }

  function renderAll() {
    document.querySelectorAll('code.language-quiz').forEach(renderQuiz);
  }

  // The book's scripts sit at the end of <body>, but be safe if loaded earlier.
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', renderAll);
  } else {
    renderAll();
  }
})();
