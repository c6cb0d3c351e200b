"""LaTeX to Unicode for BibTeX values: a selective single-pass decoder.

Only what bibliographies use is decoded: accents, special letters, escaped
characters, dashes and quotes, font commands (to CSL rich-text markup), simple
math and TeX logos. Unknown commands are dropped but keep their argument text.

Why not pylatexenc (measured with bench/latex_decode.py on the corpus in
../shared/corpus/bibtex, 179,941 field values, 6.0 MB): this decoder is 132-309x
faster per source (0.17-0.33 s against 33-70 s in all; about 10-47 MB/s against
64-221 kB/s), and pylatexenc loses text a bibliography needs: a bare `&` is a
table column separator to it and disappears (469 values: "Johnson & Johnson"
becomes "Johnson     Johnson"), `%` starts a comment (9 values, "100%" or a URL
cut short), and unknown commands vanish with their argument (`\\texttt{x}`,
`\\TeX`: 2,226 values lose letters). See docs/formats.md.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Combining marks for the accent commands (\'e, \"{u}, \c c, ...).
ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "d": "\u0323",
    "b": "\u0331",
    "r": "\u030a",
    "k": "\u0328",
    "t": "\u0361",
}

# Letters typed as commands; TeX swallows the space after them ("Stra\ss e").
LETTERS = {
    "aa": "å",
    "AA": "Å",
    "o": "ø",
    "O": "Ø",
    "ss": "ß",
    "SS": "SS",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "dj": "đ",
    "DJ": "Đ",
}

# Other commands without argument: symbols, logos, Greek and common math.
SYMBOLS = {
    "TeX": "TeX",
    "LaTeX": "LaTeX",
    "LaTeXe": "LaTeX2ε",
    "BibTeX": "BibTeX",
    "BibLaTeX": "BibLaTeX",
    "XeTeX": "XeTeX",
    "XeLaTeX": "XeLaTeX",
    "LuaTeX": "LuaTeX",
    "LuaLaTeX": "LuaLaTeX",
    "ConTeXt": "ConTeXt",
    "AmS": "AMS",
    "AmSTeX": "AMS-TeX",
    "METAFONT": "METAFONT",
    "MF": "METAFONT",
    "MP": "MetaPost",
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "textendash": "–",
    "textemdash": "—",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "quotedblbase": "„",
    "quotesinglbase": "‚",
    "guillemotleft": "«",
    "guillemotright": "»",
    "guillemetleft": "«",
    "guillemetright": "»",
    "guilsinglleft": "‹",
    "guilsinglright": "›",
    "S": "§",
    "P": "¶",
    "textsection": "§",
    "textparagraph": "¶",
    "copyright": "©",
    "textcopyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "pounds": "£",
    "textsterling": "£",
    "euro": "€",
    "texteuro": "€",
    "textyen": "¥",
    "textdegree": "°",
    "degree": "°",
    "textperthousand": "‰",
    "textbackslash": "\\",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textunderscore": "_",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textbullet": "•",
    "textperiodcentered": "·",
    "dag": "†",
    "ddag": "‡",
    "textdagger": "†",
    "textdaggerdbl": "‡",
    "textexclamdown": "¡",
    "textquestiondown": "¿",
    "textordfeminine": "ª",
    "textordmasculine": "º",
    "textmu": "µ",
    "textonehalf": "½",
    "textonequarter": "¼",
    "textthreequarters": "¾",
    "textpm": "±",
    "texttimes": "×",
    "textminus": "−",
    "slash": "/",
    "hyphen": "-",
    "Dash": "—",
    "nobreakspace": " ",
    "space": " ",
    "quad": " ",
    "qquad": " ",
    "enspace": " ",
    "thinspace": " ",
    "newline": " ",
    "par": " ",
    "linebreak": " ",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ϵ",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "ϑ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "varpi": "ϖ",
    "rho": "ρ",
    "varrho": "ϱ",
    "sigma": "σ",
    "varsigma": "ς",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "ϕ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Upsilon": "Υ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
    "times": "×",
    "div": "÷",
    "pm": "±",
    "mp": "∓",
    "cdot": "·",
    "circ": "∘",
    "bullet": "•",
    "star": "⋆",
    "ast": "∗",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "ll": "≪",
    "gg": "≫",
    "lesssim": "≲",
    "gtrsim": "≳",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "cong": "≅",
    "equiv": "≡",
    "propto": "∝",
    "infty": "∞",
    "partial": "∂",
    "nabla": "∇",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "surd": "√",
    "rightarrow": "→",
    "to": "→",
    "leftarrow": "←",
    "gets": "←",
    "leftrightarrow": "↔",
    "Rightarrow": "⇒",
    "Leftarrow": "⇐",
    "Leftrightarrow": "⇔",
    "uparrow": "↑",
    "downarrow": "↓",
    "mapsto": "↦",
    "in": "∈",
    "notin": "∉",
    "ni": "∋",
    "subset": "⊂",
    "subseteq": "⊆",
    "supset": "⊃",
    "supseteq": "⊇",
    "cup": "∪",
    "cap": "∩",
    "setminus": "∖",
    "forall": "∀",
    "exists": "∃",
    "emptyset": "∅",
    "varnothing": "∅",
    "neg": "¬",
    "lnot": "¬",
    "wedge": "∧",
    "land": "∧",
    "vee": "∨",
    "lor": "∨",
    "oplus": "⊕",
    "otimes": "⊗",
    "perp": "⊥",
    "parallel": "∥",
    "mid": "∣",
    "angle": "∠",
    "ell": "ℓ",
    "hbar": "ℏ",
    "aleph": "ℵ",
    "prime": "′",
    "langle": "⟨",
    "rangle": "⟩",
    "cdots": "⋯",
    "vdots": "⋮",
    "ddots": "⋱",
    "log": "log",
    "ln": "ln",
    "exp": "exp",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "max": "max",
    "min": "min",
    "lim": "lim",
    "det": "det",
}

# Control symbols: \& \% \$ \_ \# \{ \} and the spacing ones.
ESCAPES = {
    "&": "&",
    "%": "%",
    "$": "$",
    "_": "_",
    "#": "#",
    "{": "{",
    "}": "}",
    " ": " ",
    "\n": " ",
    "\t": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    ">": " ",
    "!": "",
    "-": "",
    "/": "",
    "@": "",
    "\\": " ",
    "|": "‖",
    "*": "",
}

# Font commands with an argument -> CSL rich-text tag.
WRAPPERS = {
    "emph": "i",
    "textit": "i",
    "textsl": "i",
    "mathit": "i",
    "textbf": "b",
    "mathbf": "b",
    "boldsymbol": "b",
    "bm": "b",
    "textsuperscript": "sup",
    "textsubscript": "sub",
}

# Font declarations ({\em x}, {\bf x}) -> tag until the end of the group.
DECLARATIONS = {
    "em": "i",
    "it": "i",
    "itshape": "i",
    "sl": "i",
    "slshape": "i",
    "bf": "b",
    "bfseries": "b",
}

# Commands whose argument is not text to show (sort keys, labels).
DROP_ARGUMENT = {"noopsort", "sortnoop", "SortNoop", "label", "nocite", "index", "hspace", "vspace"}

# Commands followed by a TeX dimension (\raise.25ex), which is not text.
DIMENSION_COMMANDS = {"raise", "lower", "kern", "hskip", "vskip", "mkern"}

# Commands whose argument is taken literally, without decoding (\url{a_b%20c}).
VERBATIM_ARGUMENT = {"url", "path", "doi", "nolinkurl"}

# Commands that only set the font or spacing of math: dropping them loses nothing a
# reader needs ($\mathrm{sin}\left(x\right)$ reads "sin(x)"). Any other command in math
# that the tables above do not know ($\frac{a}{b}$, $\mathbb{C}$) cannot be decoded: the
# math is kept as written, dollars and all, rather than half-decoded ("ab", "C").
MATH_TRANSPARENT = {
    "mathrm",
    "mathsf",
    "mathtt",
    "mathnormal",
    "text",
    "textrm",
    "textsf",
    "texttt",
    "textnormal",
    "textup",
    "mbox",
    "hbox",
    "rm",
    "sf",
    "tt",
    "up",
    "operatorname",
    "ensuremath",
    "left",
    "right",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "displaystyle",
    "textstyle",
    "scriptstyle",
    "limits",
    "nolimits",
    "quad",
    "qquad",
    "relax",
    "protect",
}

_TOKEN = re.compile(
    r"\\([a-zA-Z]+)(\s*)"  # control word, with the spaces TeX swallows after it
    r"|\\(.)"  # control symbol
    r"|([{}$~^_])"  # group, math and tie characters
    r"|(---?|``|'')"  # TeX ligatures
    r"|([^\\{}$~^_\-`']+|[-`']|\\)",  # plain text
    re.DOTALL,
)
_NEEDS_DECODING_PROSE = re.compile(r"[\\{}$~]|--|``|''")
_NEEDS_DECODING = re.compile(r"[\\{}$~]")
_WHITESPACE = re.compile(r"\s+")
_DIMENSION = re.compile(r"\A\s*[-+]?(?:\d+\.?\d*|\.\d+)\s*(?:ex|em|pt|mm|cm|in|bp|sp|pc|dd|cc|mu)")

_DOTLESS = {"ı": "i", "ȷ": "j"}
_EMPTY_TOKEN = ("", "", "", "", "", "")
# Journal names, publishers and the like repeat; long values (abstracts) are not cached.
_MAX_CACHED = 300


def latex_to_unicode(value: str, *, prose: bool = True, markup: bool = True) -> str:
    """Return `value` with LaTeX decoded to Unicode (CSL markup if `markup`), spaces collapsed.

    `prose` turns `--`/`---` into en/em dashes and ``` ``quotes'' ``` into curly quotes;
    leave it off for pages, numbers and names. Without `markup`, font commands keep
    their text but produce no `<i>`/`<b>`/`<sup>`/`<sub>` tags.
    """
    if not value:
        return ""
    pattern = _NEEDS_DECODING_PROSE if prose else _NEEDS_DECODING
    if pattern.search(value) is None:
        # The fast path: most values in real files have nothing to decode.
        if "  " in value or "\n" in value or "\t" in value or "\r" in value:
            return " ".join(value.split())
        return value.strip()
    if len(value) > _MAX_CACHED:
        return " ".join(_decode(value, prose, markup).split())
    return _decode_cached(value, prose, markup)


@lru_cache(maxsize=32768)
def _decode_cached(value: str, prose: bool, markup: bool) -> str:
    return " ".join(_decode(value, prose, markup).split())


class _Frame:
    """One open `{...}` group: its output so far and what to do with it when it closes."""

    __slots__ = ("action", "argument", "closers", "pieces")

    def __init__(self, action: str = "", argument: str = "") -> None:
        self.pieces: list[str] = []
        self.closers: list[str] = []
        self.action = action
        self.argument = argument


def _apply_accent(text: str, mark: str) -> str:
    """Return `text` with the combining `mark` put on its first character."""
    if not text:
        return ""
    first = _DOTLESS.get(text[0], text[0])
    return unicodedata.normalize("NFC", first + mark) + text[1:]


def _close(frame: _Frame, markup: bool) -> str:
    """Return the text a closed group contributes to its parent."""
    pieces = frame.pieces
    if frame.closers:
        pieces.extend(reversed(frame.closers))
    text = "".join(pieces)
    action = frame.action
    if not action:
        return text
    if action == "accent":
        return _apply_accent(text, frame.argument)
    if action == "wrap":
        if frame.argument == "sup" and text.strip() in ("∘", "°"):
            return "°"
        if not markup or not text.strip():
            return text
        tag = frame.argument
        return f"<{tag}>{text}</{tag}>"
    if action == "drop":
        return ""
    return text


def _decode(value: str, prose: bool, markup: bool) -> str:
    """Decode LaTeX in `value` in one pass over its tokens (iterative: no recursion limit)."""
    tokens = _TOKEN.findall(value)
    count = len(tokens)
    literal_dollars = _literal_dollars(tokens) if "$" in value else set()
    kept_math = _undecodable_math(tokens, literal_dollars) if math_may_be_kept(value) else {}

    stack: list[_Frame] = []
    frame = _Frame()
    math = False
    index = 0
    while index < count:
        word, space, symbol, special, ligature, text = tokens[index]
        index += 1
        out = frame.pieces
        if text:
            out.append(text)
        elif word:
            if word in LETTERS:
                out.append(LETTERS[word])
            elif word in ACCENTS:
                index, opened = _take_accent_argument(tokens, index, word, frame)
                if opened is not None:
                    stack.append(frame)
                    frame = opened
            elif word in SYMBOLS:
                # TeX skips the spaces after a control word ("Human\textendash Computer");
                # `{}` or `\ ` after it is how a source keeps one. Logos (\TeX book) keep
                # theirs, as for acronym macros below: sources write them as words.
                symbol_text = SYMBOLS[word]
                out.append(symbol_text)
                if space and len(symbol_text) > 1 and "A" <= symbol_text[0] <= "Z":
                    out.append(" ")
            elif word in WRAPPERS or word in DROP_ARGUMENT:
                if index < count and tokens[index][3] == "{":
                    index += 1
                    stack.append(frame)
                    action = "drop" if word in DROP_ARGUMENT else "wrap"
                    frame = _Frame(action, WRAPPERS.get(word, ""))
            elif word in DECLARATIONS:
                if markup:
                    tag = DECLARATIONS[word]
                    out.append(f"<{tag}>")
                    frame.closers.append(f"</{tag}>")
            elif word in VERBATIM_ARGUMENT or word == "href":
                index = _take_verbatim(tokens, index, word, out)
            elif word in DIMENSION_COMMANDS:
                _drop_dimension(tokens, index)
            else:
                # Unknown command: drop its name; a following {argument} stays as a group.
                # An argument-less one in capitals is an acronym or logo macro (\VAX, \PDF).
                if word[0].isupper() and (
                    index >= count
                    or tokens[index][3] != "{"
                    or (index + 1 < count and tokens[index + 1][3] == "}")
                ):
                    out.append(word)
                    # Unlike TeX, keep the space: such macros are often defined with \xspace.
                    if space:
                        out.append(" ")
        elif symbol:
            if symbol in ACCENTS:
                index, opened = _take_accent_argument(tokens, index, symbol, frame)
                if opened is not None:
                    stack.append(frame)
                    frame = opened
            elif symbol == "(" or symbol == ")":
                if index - 1 in kept_math:
                    end = kept_math[index - 1]
                    out.append("".join(map(_raw_source, tokens[index - 1 : end + 1])))
                    index = end + 1
                else:
                    math = symbol == "("
            else:
                out.append(ESCAPES.get(symbol, symbol))
        elif special:
            if special == "{":
                stack.append(frame)
                frame = _Frame()
            elif special == "}":
                if stack:
                    text_of_group = _close(frame, markup)
                    frame = stack.pop()
                    frame.pieces.append(text_of_group)
                # An unmatched `}` is dropped.
            elif special == "$":
                if index - 1 in literal_dollars:
                    out.append("$")
                elif index - 1 in kept_math:
                    end = kept_math[index - 1]
                    out.append("".join(map(_raw_source, tokens[index - 1 : end + 1])))
                    index = end + 1
                else:
                    math = not math
            elif special == "~":
                out.append(" ")
            elif math and (special == "^" or special == "_"):
                index, opened = _take_script(tokens, index, special, frame, markup)
                if opened is not None:
                    stack.append(frame)
                    frame = opened
            else:
                out.append(special)
        elif ligature:
            if not prose or math:
                out.append(ligature)
            elif ligature == "--":
                out.append("–")
            elif ligature == "---":
                out.append("—")
            elif ligature == "``":
                out.append("“")
            else:
                out.append("”")
    while stack:
        text_of_group = _close(frame, markup)
        frame = stack.pop()
        frame.pieces.append(text_of_group)
    return _close(frame, markup)


def _drop_dimension(tokens: list[tuple[str, ...]], index: int) -> None:
    """Blank out a TeX dimension (`.25ex`, `-2pt`) starting at token `index`, if there is one."""
    if index >= len(tokens) or not tokens[index][5]:
        return
    sign = ""
    if tokens[index][5] in ("-", "+") and index + 1 < len(tokens) and tokens[index + 1][5]:
        sign = tokens[index][5]
        tokens[index] = _EMPTY_TOKEN
        index += 1
    text = sign + tokens[index][5]
    rest = _DIMENSION.sub("", text, count=1)
    if rest != text:
        tokens[index] = ("", "", "", "", "", rest) if rest else _EMPTY_TOKEN
    elif sign:
        tokens[index - 1] = ("", "", "", "", "", sign)


def _literal_dollars(tokens: list[tuple[str, ...]]) -> set[int]:
    """Return the indexes of `$` tokens that are dollar signs rather than math delimiters.

    An unmatched `$` is literal, and so is a pair that opens and closes on digits:
    "from $5 to $10" is money, not math, but "A$\\beta$25" is math.
    """
    positions = [index for index, token in enumerate(tokens) if token[3] == "$"]
    literal: set[int] = set()
    position = 0
    while position < len(positions):
        opening = positions[position]
        if position + 1 == len(positions):
            literal.add(opening)
            break
        after_closing = positions[position + 1] + 1
        after_opening = opening + 1
        if (
            after_closing < len(tokens)
            and tokens[after_closing][5][:1].isdigit()
            and tokens[after_opening][5][:1].isdigit()
        ):
            literal.add(opening)
            position += 1
        else:
            position += 2
    return literal


def math_may_be_kept(value: str) -> bool:
    """Return True if `value` may hold math with a command (a cheap test before tokenising)."""
    return "\\" in value and ("$" in value or "\\(" in value)


def undecodable_math(value: str) -> list[str]:
    """Return the math spans of `value` that are kept as written because they cannot be decoded.

    `$\frob{x}$` and `$\frac{a}{b}$` come back as written; `$\beta$` is decoded and not listed.
    """
    if not math_may_be_kept(value):
        return []
    tokens = _TOKEN.findall(value)
    literal_dollars = _literal_dollars(tokens) if "$" in value else set()
    kept = _undecodable_math(tokens, literal_dollars)
    return ["".join(map(_raw_source, tokens[start : end + 1])) for start, end in kept.items()]


def _undecodable_math(tokens: list[tuple[str, ...]], literal_dollars: set[int]) -> dict[int, int]:
    """Return {opening token index: closing token index} of math holding an unknown command."""
    kept: dict[int, int] = {}
    opening = -1
    unknown = False
    for index, (word, _space, symbol, special, _ligature, _text) in enumerate(tokens):
        delimiter = (special == "$" and index not in literal_dollars) or symbol in ("(", ")")
        if delimiter:
            if opening < 0:
                if symbol != ")":
                    opening, unknown = index, False
            elif symbol != "(":
                if unknown:
                    kept[opening] = index
                opening = -1
        elif opening >= 0 and word and not unknown:
            unknown = not (
                word in SYMBOLS
                or word in LETTERS
                or word in ACCENTS
                or word in WRAPPERS
                or word in MATH_TRANSPARENT
            )
    return kept


def _raw_source(token: tuple[str, ...]) -> str:
    """Return the exact source text of one token."""
    word, space, symbol, special, ligature, text = token
    if word:
        return f"\\{word}{space}"
    if symbol:
        return f"\\{symbol}"
    return special or ligature or text


def _take_accent_argument(
    tokens: list[tuple[str, ...]], index: int, accent: str, frame: _Frame
) -> tuple[int, _Frame | None]:
    """Apply `accent` to what follows it; return the next token index and any group opened.

    A braced argument opens a new frame that applies the accent when it closes.
    """
    mark = ACCENTS[accent]
    if index >= len(tokens):
        return index, None
    word, _space, symbol, special, _ligature, text = tokens[index]
    if special == "{":
        return index + 1, _Frame("accent", mark)
    if text:
        stripped = text.lstrip()
        if stripped:
            frame.pieces.append(_apply_accent(stripped, mark))
        return index + 1, None
    if word in LETTERS:
        frame.pieces.append(_apply_accent(LETTERS[word], mark))
        return index + 1, None
    if symbol and symbol not in ACCENTS:
        frame.pieces.append(_apply_accent(ESCAPES.get(symbol, symbol), mark))
        return index + 1, None
    return index, None


def _take_script(
    tokens: list[tuple[str, ...]],
    index: int,
    special: str,
    frame: _Frame,
    markup: bool,
) -> tuple[int, _Frame | None]:
    """Turn math `^x`/`_x` into <sup>/<sub>; return the next token index and any group opened."""
    tag = "sup" if special == "^" else "sub"
    if index >= len(tokens):
        return index, None
    word, _space, _symbol, next_special, _ligature, text = tokens[index]
    if next_special == "{":
        return index + 1, _Frame("wrap", tag)
    if text:
        first, rest = text[0], text[1:]
    elif word in SYMBOLS or word in LETTERS:
        first, rest = SYMBOLS.get(word) or LETTERS[word], ""
    else:
        return index, None
    if tag == "sup" and first in ("∘", "°"):
        frame.pieces.append("°")
    elif markup:
        frame.pieces.append(f"<{tag}>{first}</{tag}>")
    else:
        frame.pieces.append(first)
    if rest:
        frame.pieces.append(rest)
    return index + 1, None


def _take_verbatim(tokens: list[tuple[str, ...]], index: int, word: str, out: list[str]) -> int:
    """Copy a `\\url{...}` argument literally (skip a `\\href` URL); return the next index."""
    if index >= len(tokens) or tokens[index][3] != "{":
        return index
    depth = 0
    start = index
    while index < len(tokens):
        special = tokens[index][3]
        if special == "{":
            depth += 1
        elif special == "}":
            depth -= 1
            if depth == 0:
                break
        index += 1
    literal = "".join(_token_source(token) for token in tokens[start + 1 : index])
    if word != "href":
        out.append(literal)
    # For \href the link text follows as an ordinary group and is decoded as such.
    return index + 1


def _token_source(token: tuple[str, ...]) -> str:
    """Return the source text of one token (for verbatim arguments)."""
    word, space, symbol, special, ligature, text = token
    if word:
        return f"\\{word}{space}"
    if symbol:
        # Escaped characters in URLs mean the character itself (\_ -> _, \% -> %).
        return symbol if symbol in "&%$_#{}~" else f"\\{symbol}"
    return special or ligature or text


def collapse_whitespace(value: str) -> str:
    """Return `value` with runs of whitespace turned into one space, stripped."""
    return _WHITESPACE.sub(" ", value).strip()
