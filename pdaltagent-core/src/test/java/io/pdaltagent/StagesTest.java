package io.pdaltagent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StagesTest {
    @Test
    void closesTheStartedStagesInReverseOrderEvenWhenOneFailsToClose() {
        List<String> closed = new ArrayList<>();
        Stages stages = new Stages();
        stages.add("queue", "q", s -> closed.add(s));
        stages.add("delivery", "d", s -> {
            closed.add(s);
            throw new IllegalStateException("stuck");
        });
        stages.add("not started", null, s -> closed.add("never"));
        stages.onClose("file", () -> closed.add("f"));
        assertThat(stages.names()).containsExactly("file", "delivery", "queue");
        stages.close();
        assertThat(closed).containsExactly("f", "d", "q");
        stages.close();
        assertThat(closed).as("each stage is closed once").hasSize(3);
    }
}
