package dev.nstun.stack.tcp;
import org.junit.jupiter.api.Test;
class TmpDiagTest {
    @Test void diag() {
        for (long seed = 1; seed <= 3; seed++) {
            var o = LossyLinkTest.transfer(seed, LossyLinkTest.DEFAULTS, 1460, LossyLinkTest.Faults.HARSH, LossyLinkTest.SIZE);
            System.out.println("harsh cubic seed " + seed + ": " + o);
            o = LossyLinkTest.transfer(seed, LossyLinkTest.DEFAULTS.withOptions(true,false,true).withCongestionControl(NewReno::new), 1460, LossyLinkTest.Faults.HARSH, LossyLinkTest.SIZE);
            System.out.println("harsh reno nosack seed " + seed + ": " + o);
            o = LossyLinkTest.transfer(seed, LossyLinkTest.DEFAULTS, 1460, new LossyLinkTest.Faults(0.05,0,0,0), LossyLinkTest.SIZE);
            System.out.println("loss only seed " + seed + ": " + o);
            o = LossyLinkTest.transfer(seed, LossyLinkTest.DEFAULTS, 1460, new LossyLinkTest.Faults(0.01,0,0,0), LossyLinkTest.SIZE);
            System.out.println("1% loss seed " + seed + ": " + o);
        }
        var o = LossyLinkTest.transfer(1, LossyLinkTest.DEFAULTS, 1460, LossyLinkTest.Faults.NONE, LossyLinkTest.SIZE);
        System.out.println("clean: " + o);
    }
}
