package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ResolverFilesTest {
    @Test
    void theHostsLineBecomesFilesDnsAndTheRestStays() {
        assertEquals("passwd: files\nhosts: files dns\nnetworks: files\n",
                ResolverFiles.nsswitchConf("passwd: files\n  hosts:  files mdns4_minimal [NOTFOUND=return] resolve dns\nnetworks: files\n"));
    }

    @Test
    void aFileWithoutHostsLineGetsOne() {
        assertEquals("passwd: files\nhosts: files dns\n", ResolverFiles.nsswitchConf("passwd: files"));
    }
}
