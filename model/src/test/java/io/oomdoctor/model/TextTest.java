package io.oomdoctor.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Text shown to people never carries a control or direction-override character. */
class TextTest {
  @Test
  void controlCharactersAreShownAsEscapes() {
    assertThat(Text.printable("a\u001b[31mb\r\nc\u0000\u007f\u009b"))
        .isEqualTo("a\\x1b[31mb\\x0d\\x0ac\\x00\\x7f\\x9b");
    assertThat(Text.printable("evil\u202egnp.exe")).isEqualTo("evil\\u{202e}gnp.exe");
    assertThat(Text.printable("plain text, ünïcode ok")).isEqualTo("plain text, ünïcode ok");
    assertThat(Text.printable("line\nbreak", true)).isEqualTo("line\nbreak");
    assertThat(Text.printable(null)).isNull();
  }

  @Test
  void clipCutsAfterMakingPrintable() {
    assertThat(Text.clip("\u001b".repeat(10), 12)).hasSize(12).endsWith("…");
    assertThat(Text.clip("short", 12)).isEqualTo("short");
  }
}
