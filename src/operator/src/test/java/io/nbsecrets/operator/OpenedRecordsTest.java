package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What the operator keeps of records it opened, for how long, and when it opens them again. */
class OpenedRecordsTest {
  private final AtomicLong now = new AtomicLong();

  private OpenedRecords records(long maxBytes) {
    return new OpenedRecords(maxBytes, Duration.ofMinutes(10), now::get);
  }

  @Test
  void aRecordIsFoundOnlyByItsOwnerNameAndExactBytes() {
    OpenedRecords opened = records(1 << 20);
    opened.put("erin", "A", "sealed-1", "k1", "inner-1");

    assertThat(opened.get("erin", "A", "sealed-1", id -> true)).isEqualTo("inner-1");
    assertThat(opened.get("frank", "A", "sealed-1", id -> true)).as("another owner").isNull();
    assertThat(opened.get("erin", "B", "sealed-1", id -> true)).as("another name").isNull();
    assertThat(opened.get("erin", "A", "sealed-2", id -> true)).as("other bytes").isNull();
    // Length prefixes: moving a character from the owner to the name is another record.
    assertThat(opened.get("eri", "nA", "sealed-1", id -> true)).isNull();
    assertThat(opened.reused()).isEqualTo(1);
    assertThat(opened.opened()).isEqualTo(4);
  }

  @Test
  void anEntryIsUsedOnlyWhileItsKeyIsHeldAndGoesOnceItIsNot() {
    OpenedRecords opened = records(1 << 20);
    opened.put("erin", "A", "sealed", "k1", "inner");

    assertThat(opened.get("erin", "A", "sealed", "k2"::equals)).isNull();
    assertThat(opened.size()).isZero();
    assertThat(opened.bytes()).isZero();
    // Gone, even if the key came back: the record is opened again.
    assertThat(opened.get("erin", "A", "sealed", "k1"::equals)).isNull();
  }

  @Test
  void anEntryOlderThanTheMaximumAgeIsOpenedAgain() {
    OpenedRecords opened = records(1 << 20);
    opened.put("erin", "A", "sealed", "k1", "inner");
    now.addAndGet(Duration.ofMinutes(10).toNanos());
    assertThat(opened.get("erin", "A", "sealed", id -> true)).isEqualTo("inner");
    now.incrementAndGet();
    assertThat(opened.get("erin", "A", "sealed", id -> true)).isNull();
    assertThat(opened.size()).isZero();
  }

  @Test
  void theLeastRecentlyUsedGoFirstOnceTheBytesAreOverTheBound() {
    long entry = "inner-0".length() + OpenedRecords.ENTRY_OVERHEAD;
    OpenedRecords opened = records(3 * entry);
    for (int i = 0; i < 3; i++) {
      opened.put("erin", "S" + i, "sealed", "k1", "inner-" + i);
    }
    assertThat(opened.bytes()).isEqualTo(3 * entry);
    assertThat(opened.get("erin", "S0", "sealed", id -> true)).isEqualTo("inner-0"); // used last
    opened.put("erin", "S3", "sealed", "k1", "inner-3");

    assertThat(opened.size()).isEqualTo(3);
    assertThat(opened.bytes()).isEqualTo(3 * entry);
    assertThat(opened.get("erin", "S1", "sealed", id -> true)).as("least recently used").isNull();
    assertThat(opened.get("erin", "S0", "sealed", id -> true)).isEqualTo("inner-0");
    assertThat(opened.get("erin", "S3", "sealed", id -> true)).isEqualTo("inner-3");

    // The same record put again replaces its entry without counting its bytes twice.
    opened.put("erin", "S3", "sealed", "k1", "inner-3");
    assertThat(opened.bytes()).isEqualTo(3 * entry);
    // A value larger than the whole bound is not kept, and evicts nothing.
    opened.put("erin", "big", "sealed", "k1", "x".repeat((int) (3 * entry)));
    assertThat(opened.size()).isEqualTo(3);
  }

  @Test
  void noneKeepsNothingAndCountsEveryRecordAsOpened() {
    OpenedRecords opened = OpenedRecords.none();
    opened.put("erin", "A", "sealed", "k1", "inner");
    assertThat(opened.get("erin", "A", "sealed", id -> true)).isNull();
    assertThat(opened.size()).isZero();
    assertThat(opened.opened()).isEqualTo(1);
    assertThat(opened.reused()).isZero();
  }
}
