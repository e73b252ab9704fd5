using Engram.Core;
using Engram.Core.History;
using Engram.Core.Storage;

namespace Engram.PowerShell
{
    // Parameter types of the cmdlets. They mirror core enums on purpose: a cmdlet signature that used a type from
    // Engram.Core would force Engram.Core to load while PowerShell analyses the module — before the dependency
    // resolver (see DependencyIsolation.cs) is in place.

    /// <summary>How hard a write tries to reach the disk before it returns.</summary>
    public enum EngramDurability
    {
        /// <summary>Handed to the operating system before the cmdlet returns: survives a killed process.</summary>
        Normal,
        /// <summary>fsync'ed before it is renamed into place: no torn files after a power cut; slower.</summary>
        Full,
    }

    /// <summary>How Merge-EngramBranch resolves memories changed differently on both sides.</summary>
    public enum EngramMergeStrategy
    {
        Fail,
        Ours,
        Theirs,
        ConflictBranch,
    }

    /// <summary>Export-EngramProvenance formats.</summary>
    public enum EngramExportFormat
    {
        Tree,
        Mermaid,
        ProvJson,
        Json,
    }

    /// <summary>Get-EngramLineage directions.</summary>
    public enum EngramLineageDirection
    {
        /// <summary>What the memory was derived from, and what those were derived from.</summary>
        Up,
        /// <summary>What was derived from the memory.</summary>
        Down,
        Both,
    }

    internal static class EnumMapping
    {
        public static Durability ToCore(this EngramDurability d) => d == EngramDurability.Full ? Durability.Full : Durability.Normal;

        public static MergeStrategy ToCore(this EngramMergeStrategy s) => (MergeStrategy)(int)s;

        public static ExportFormat ToCore(this EngramExportFormat f) => (ExportFormat)(int)f;

        public static LineageDirection ToCore(this EngramLineageDirection d) => (LineageDirection)(int)d;
    }
}
