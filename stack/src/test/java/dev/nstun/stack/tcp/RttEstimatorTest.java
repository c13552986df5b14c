package dev.nstun.stack.tcp;

import static dev.nstun.stack.tcp.TcpTestSupport.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RttEstimatorTest {

    @Test
    void beforeAnySampleTheRtoIsTheInitialOne() {
        RttEstimator rtt = new RttEstimator(ms(1000), ms(200), ms(60_000));
        assertEquals(ms(1000), rtt.timeout(), "RTO (RFC 6298 §2.1)");
        assertEquals(-1, rtt.srtt(), "SRTT");
    }

    @Test
    void firstSampleSetsSrttAndHalfOfItAsRttvar() {
        RttEstimator rtt = new RttEstimator(ms(1000), ms(10), ms(60_000));
        rtt.sample(ms(100));
        assertEquals(ms(100), rtt.srtt(), "SRTT (RFC 6298 §2.2)");
        assertEquals(ms(50), rtt.rttvar(), "RTTVAR");
        assertEquals(ms(300), rtt.timeout(), "RTO: SRTT + 4 RTTVAR");
    }

    @Test
    void laterSamplesAreSmoothed() {
        RttEstimator rtt = new RttEstimator(ms(1000), ms(10), ms(60_000));
        rtt.sample(ms(100));
        rtt.sample(ms(200));
        assertEquals(ms(225) / 2, rtt.srtt(), "SRTT: 7/8 of 100 + 1/8 of 200");
        assertEquals(ms(125) / 2, rtt.rttvar(), "RTTVAR: 3/4 of 50 + 1/4 of 100");
    }

    @Test
    void rtoStaysWithinItsBounds() {
        RttEstimator rtt = new RttEstimator(ms(1000), ms(200), ms(2000));
        rtt.sample(ms(1));
        assertEquals(ms(200), rtt.timeout(), "RTO: the minimum");
        rtt.sample(ms(5000));
        assertEquals(ms(2000), rtt.timeout(), "RTO: the maximum");
    }

    @Test
    void backoffDoublesUpToTheMaximumAndASampleClearsIt() {
        RttEstimator rtt = new RttEstimator(ms(1000), ms(200), ms(5000));
        rtt.backOff();
        assertEquals(ms(2000), rtt.timeout(), "RTO after one back-off");
        rtt.backOff();
        rtt.backOff();
        assertEquals(ms(5000), rtt.timeout(), "RTO capped");
        rtt.sample(ms(100));
        assertEquals(ms(300), rtt.timeout(), "RTO after a sample");
    }
}
