package io.oomdoctor.agent.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.oomdoctor.agent.kmsg.KmsgRecord;
import io.oomdoctor.agent.kmsg.KmsgRecordParser;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The forms people paste kernel logs in. */
class LogLineDecoderTest {
  private final LogLineDecoder decoder = new LogLineDecoder(ZoneOffset.UTC, 2026);

  private KernelLine one(String line) {
    List<KernelLine> l = decoder.decode(line);
    assertThat(l).hasSize(1);
    return l.get(0);
  }

  @Test
  void rawKmsgRecordWithFacilityAndEscapes() {
    KernelLine l = one("3,501,1492976303,-;Killed process 1 (a\\x20b)");
    assertThat(l.seq()).isEqualTo(501);
    assertThat(l.kernelTimeUs()).isEqualTo(1492976303L);
    assertThat(l.facility()).isEqualTo(0);
    assertThat(l.text()).isEqualTo("Killed process 1 (a b)");
    KernelLine user = one("14,502,1,-;forged");
    assertThat(user.facility()).isEqualTo(1);
    assertThat(user.fromKernel()).isFalse();
  }

  @Test
  void continuationLinesCarryNoMessage() {
    assertThat(decoder.decode(" SUBSYSTEM=virtio")).isEmpty();
    KmsgRecord r =
        KmsgRecordParser.parse(
            "5,340,1282132,-;virtio_blk virtio1: [vda] new size\n SUBSYSTEM=virtio\n DEVICE=+virtio:virtio1");
    assertThat(r.dictionary())
        .containsEntry("SUBSYSTEM", "virtio")
        .containsEntry("DEVICE", "+virtio:virtio1");
    assertThat(r.text()).isEqualTo("virtio_blk virtio1: [vda] new size");
  }

  @Test
  void malformedRecordIsCountedNotGuessed() {
    assertThat(decoder.decode("6,notanumber,1,-;text")).isNull();
    assertThat(KmsgRecordParser.parse("6,1;too short")).isNull();
    assertThat(KmsgRecordParser.parse("no semicolon at all")).isNull();
  }

  @Test
  void dmesgPlainTimestampAndCallerId() {
    KernelLine l = one("[ 1630.158028][T14021] oom-kill:constraint=CONSTRAINT_NONE");
    assertThat(l.kernelTimeUs()).isEqualTo(1630158028L);
    assertThat(l.text()).isEqualTo("oom-kill:constraint=CONSTRAINT_NONE");
    assertThat(one("[    5.1] short fraction").kernelTimeUs()).isEqualTo(5_100_000L);
  }

  @Test
  void dmesgHumanTime() {
    KernelLine l =
        one(
            "[Thu May  9 14:52:38 2024] CPU 11/KVM invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=830");
    assertThat(l.wallTime()).isEqualTo("2024-05-09T14:52:38Z");
    assertThat(l.text()).startsWith("CPU 11/KVM invoked");
  }

  @Test
  void dmesgWithFacilityColumns() {
    assertThat(one("kern  :info  : [   1.0] hello").facility()).isEqualTo(0);
    assertThat(one("user  :notice: [   1.0] Killed process 1 (x) total-vm:1kB").fromKernel())
        .isFalse();
  }

  @Test
  void journalShortAndIso() {
    KernelLine s = one("Oct 12 19:00:20 aks-node kernel: [ 8523.347282] memory: usage 1kB");
    assertThat(s.wallTime()).isEqualTo("2026-10-12T19:00:20Z");
    assertThat(s.kernelTimeUs()).isEqualTo(8523347282L);
    assertThat(s.text()).isEqualTo("memory: usage 1kB");
    KernelLine iso =
        one("2026-03-01T10:00:00+0000 host kernel: Out of memory: Killed process 1 (a)");
    assertThat(iso.wallTime()).isEqualTo("2026-03-01T10:00Z");
    assertThat(iso.text()).startsWith("Out of memory");
  }

  @Test
  void linesOfOtherProgramsInSyslogAreNotKernelLines() {
    KernelLine l =
        one(
            "Oct 12 19:00:20 node-1 systemd[1]: foo.scope: A process of this unit has been killed by the OOM killer.");
    assertThat(l.fromKernel()).isFalse();
  }

  @Test
  void bareLinesAreTakenAsKernelText() {
    KernelLine l =
        one(
            "Memory cgroup out of memory: Killed process 5 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB");
    assertThat(l.fromKernel()).isTrue();
    assertThat(l.seq()).isNull();
    assertThat(decoder.decode("   ")).isEmpty();
  }
}
