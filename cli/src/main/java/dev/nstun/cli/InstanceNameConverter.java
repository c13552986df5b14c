package dev.nstun.cli;

import dev.nstun.netns.InstanceName;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads NAME of {@code up}, {@code exec} and {@code down}: {@link InstanceName} owns the rule. */
final class InstanceNameConverter implements ITypeConverter<InstanceName> {
    @Override
    public InstanceName convert(String value) {
        try {
            return new InstanceName(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
