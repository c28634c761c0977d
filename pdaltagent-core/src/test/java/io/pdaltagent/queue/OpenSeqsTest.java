package io.pdaltagent.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class OpenSeqsTest {

    private static List<Long> drain(OpenSeqs s) {
        List<Long> out = new ArrayList<>();
        for (long head = s.first(); head != -1; head = s.first()) {
            out.add(head);
            s.remove(head);
        }
        return out;
    }

    @Test
    void keepsAppendedSequenceNumbersInOrderAcrossGrowthAndWrapAround() {
        OpenSeqs s = new OpenSeqs();
        for (long i = 1; i <= 3; i++) {
            s.add(i);
        }
        s.remove(1);
        s.remove(2);
        for (long i = 4; i <= 20; i++) {
            s.add(i);
        }
        assertThat(s.size()).isEqualTo(18);
        assertThat(drain(s)).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(3, 20).boxed().toList());
        assertThat(s.isEmpty()).isTrue();
        assertThat(s.first()).isEqualTo(-1);
    }

    @Test
    void placesAnOlderSequenceNumberBeforeNewerOnes() {
        OpenSeqs s = new OpenSeqs();
        s.add(10);
        s.add(20);
        s.add(5);
        s.add(15);
        assertThat(drain(s)).containsExactly(5L, 10L, 15L, 20L);
    }

    @Test
    void removesFromTheMiddleAndReportsWhatWasNotThere() {
        OpenSeqs s = new OpenSeqs();
        s.add(1);
        s.add(2);
        s.add(3);
        assertThat(s.remove(2)).isTrue();
        assertThat(s.remove(7)).isFalse();
        assertThat(drain(s)).containsExactly(1L, 3L);
    }

    @Test
    void behavesLikeASortedSetUnderRandomOperations() {
        Random random = new Random(7);
        OpenSeqs s = new OpenSeqs();
        TreeSet<Long> model = new TreeSet<>();
        for (int i = 0; i < 5_000; i++) {
            long seq = random.nextInt(2_000);
            if (random.nextInt(3) == 0 && !model.isEmpty()) {
                long victim = random.nextBoolean() ? model.first() : seq;
                assertThat(s.remove(victim)).isEqualTo(model.remove(victim));
            } else if (model.add(seq)) {
                s.add(seq);
            }
            assertThat(s.first()).isEqualTo(model.isEmpty() ? -1 : model.first());
            assertThat(s.size()).isEqualTo(model.size());
        }
    }
}
