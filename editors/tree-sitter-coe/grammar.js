/**
 * tree-sitter grammar for coe (.coe files): the same language as coe's own
 * parser (src/syntax) and its pest reference (grammar/coe.pest), for editors
 * that highlight and navigate with tree-sitter.
 */
const commaSep = (rule) => optional(seq(rule, repeat(seq(",", rule)), optional(",")));

module.exports = grammar({
  name: "coe",

  extras: ($) => [/\s|\uFEFF/, $.comment],

  word: ($) => $.identifier,

  rules: {
    source_file: ($) => repeat(choice($.let_declaration, $.block)),

    let_declaration: ($) => seq("let", field("name", $.identifier), "=", field("value", $._value)),

    block: ($) =>
      seq(
        field("kind", $.identifier),
        optional(field("name", $.string)),
        "{",
        repeat(choice($.attribute, $.block)),
        "}",
      ),

    attribute: ($) => seq(field("key", choice($.identifier, $.string)), "=", field("value", $._value)),

    _value: ($) =>
      choice($.string, $.quantity, $.number, $.boolean, $.list, $.map, $.call, $.reference, $.identifier),

    list: ($) => seq("[", commaSep($._value), "]"),

    map: ($) => seq("{", repeat(seq($.map_entry, optional(","))), "}"),

    map_entry: ($) =>
      seq(field("key", choice($.identifier, $.string)), choice("=", ":"), field("value", $._value)),

    call: ($) => seq(field("function", $.identifier), "(", commaSep($._value), ")"),

    // `template.k8s`, `template."a name"`: no space around the dots
    reference: ($) =>
      prec(
        1,
        seq(
          field("kind", $.identifier),
          repeat1(
            seq(
              token.immediate("."),
              field("name", choice(alias(token.immediate(/[A-Za-z_][A-Za-z0-9_-]*/), $.identifier), $.string)),
            ),
          ),
        ),
      ),

    string: ($) =>
      seq('"', repeat(choice($.string_content, $.escape_sequence, $.interpolation)), token.immediate('"')),

    string_content: (_) => choice(token.immediate(prec(1, /[^"\\$\n]+/)), token.immediate("$")),

    escape_sequence: (_) => token.immediate(/\\(u\{[0-9A-Fa-f]*\}|[^\n])/),

    interpolation: ($) => seq(token.immediate("${"), $._value, "}"),

    // sizes and durations: 20GiB, 512MiB, 90s, 1h30m
    quantity: (_) => /-?[0-9]+(\.[0-9]+)?[A-Za-z]+([0-9]+[A-Za-z]+)*/,

    number: (_) => /-?[0-9]+(\.[0-9]+)?/,

    boolean: (_) => choice("true", "false"),

    identifier: (_) => /[A-Za-z_][A-Za-z0-9_-]*/,

    comment: (_) => token(choice(seq("#", /.*/), seq("//", /.*/), seq("/*", /[^*]*\*+([^/*][^*]*\*+)*/, "/"))),
  },
});
