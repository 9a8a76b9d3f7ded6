(comment) @comment

(string) @string
(escape_sequence) @string.escape
(interpolation "${" @punctuation.special "}" @punctuation.special)

(number) @number
(quantity) @number
(boolean) @boolean

"let" @keyword
(let_declaration name: (identifier) @constant)

(block kind: (identifier) @type)
(block name: (string) @string.special)

(attribute key: (identifier) @property)
(attribute key: (string) @property)
(map_entry key: (identifier) @property)

(reference kind: (identifier) @type)
(reference name: (identifier) @variable)

(call function: (identifier) @function)

(identifier) @variable

["=" ":"] @operator
["{" "}" "[" "]" "(" ")"] @punctuation.bracket
["," "."] @punctuation.delimiter
