using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Engram.Core;
using Engram.Core.Provenance;

namespace Engram.PowerShell.Commands
{
    /// <summary>
    /// Copies a whole store into a new or empty store, of the same backend or another one (files, SQLite, PostgreSQL):
    /// configuration, memories, every history entry as stored (hashes included) and every branch; then verifies the copy.
    /// </summary>
    [Cmdlet(VerbsCommon.Copy, "EngramStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(EngramStoreCopy))]
    public sealed class CopyEngramStoreCommand : EngramCommand
    {
        /// <summary>The store to copy (a folder, sqlite:&lt;path&gt; or a PostgreSQL address). It must exist.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Source { get; set; } = "";

        /// <summary>Where to copy it: a location with no store yet, or an empty store.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string Destination { get; set; } = "";

        /// <summary>Copy into an existing empty store without asking (its configuration is replaced by the source's).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessEngramRecord()
        {
            try
            {
                var source = OpenLocation(Source);
                var destination = OpenLocation(Destination);
                if (source.Backend == destination.Backend && string.Equals(source.Root, destination.Root, StringComparison.Ordinal))
                    throw new EngramException(EngramErrorIds.InvalidConfiguration, EngramErrorKind.InvalidArgument,
                        $"The source and the destination are the same store ({source.Root}).", Destination);
                source.EnsureExists();
                bool existing = destination.Exists;
                if (existing) RequireEmpty(destination);

                var export = source.Export();
                var what = $"{export.MemoryCount} memories and {export.HistoryCount} histories from the {source.Backend} store '{source.Root}'";
                if (!ShouldProcess($"{destination.Backend} store '{destination.Root}'", "Copy " + what)) return;
                if (existing && !Force && !ShouldContinue(
                        $"'{destination.Root}' is an existing, empty Engram store: its configuration will be replaced by the source's. Continue?", "Copy Engram store"))
                    return;

                long entries = 0;
                int branches = 0;
                var counted = new StoreExport(export.Config,
                    () => export.Memories,
                    () => { entries = 0; return export.Histories.Select(h => { entries += h.Count; return h; }); },
                    () => { branches = 0; return export.Branches.Select(b => { branches++; return b; }); },
                    export.MemoryCount, export.HistoryCount);
                var activity = $"Copying {source.Root} to {destination.Root}";
                destination.Import(counted, (done, total, item) => WriteProgressStep(4, activity, done, total, item));
                WriteProgressStep(4, activity, 1, 1, "done");

                var report = destination.Verify(false, (done, total, ns) => WriteProgressStep(5, "Verifying the copy", done, total, ns));
                if (!report.Healthy)
                {
                    var problems = report.Findings.Where(f => !f.Repaired && f.Severity != FindingSeverity.Information).ToList();
                    throw new EngramException(EngramErrorIds.CopyVerificationFailed, EngramErrorKind.InvalidData,
                        $"The copy at '{destination.Root}' was written but does not verify ({problems.Count} problem(s): " +
                        string.Join("; ", problems.Take(5).Select(f => f.Kind + ": " + f.Message)) +
                        $"). The source may be damaged: check it with Test-EngramStore -Store '{Source}'.", destination.Root);
                }
                WriteObject(EngramMemory.Wrap(new EngramStoreCopy(source, destination, export.MemoryCount, export.HistoryCount, entries, branches, report.Healthy),
                    EngramStoreCopy.TypeName));
            }
            catch (EngramException ex)
            {
                ThrowEngramError(ex);
            }
        }

        /// <summary>StoreAlreadyExists unless the store holds no memory, history or branch (Import checks again, atomically).</summary>
        private static void RequireEmpty(IEngramStore destination)
        {
            var held = destination.Export();
            int branches = destination.GetBranches().Count;
            if (held.MemoryCount == 0 && held.HistoryCount == 0 && branches == 0) return;
            throw new EngramException(EngramErrorIds.StoreAlreadyExists, EngramErrorKind.AlreadyExists,
                $"The destination store '{destination.Root}' is not empty ({held.MemoryCount} memories, {held.HistoryCount} histories, {branches} branches); " +
                "copy into a new location or an empty store. Nothing was changed.", destination.Root);
        }
    }
}

namespace Engram.PowerShell
{
    /// <summary>What Copy-EngramStore copied (PSTypeName Engram.StoreCopy).</summary>
    public sealed class EngramStoreCopy
    {
        public const string TypeName = "Engram.StoreCopy";

        internal EngramStoreCopy(IEngramStore source, IEngramStore destination, int memories, int histories, long entries, int branches, bool healthy)
        {
            Source = source.Root;
            Destination = destination.Root;
            SourceBackend = source.Backend;
            DestinationBackend = destination.Backend;
            Memories = memories;
            Histories = histories;
            Entries = entries;
            Branches = branches;
            Healthy = healthy;
        }

        public string Source { get; }
        public string Destination { get; }
        /// <summary>"file", "sqlite" or "postgres".</summary>
        public string SourceBackend { get; }
        public string DestinationBackend { get; }
        /// <summary>Main-line memories copied.</summary>
        public int Memories { get; }
        /// <summary>Memories with a provenance history (deleted ones included).</summary>
        public int Histories { get; }
        /// <summary>History entries copied, as stored (same hashes).</summary>
        public long Entries { get; }
        public int Branches { get; }
        /// <summary>Whether the destination verified (Test-EngramStore) after the copy; a copy that does not is an error.</summary>
        public bool Healthy { get; }

        /// <summary>The destination, for piping into cmdlets that bind -Store by property name.</summary>
        public string Store => Destination;
        /// <summary>The destination, which is where -Store binds from for the next cmdlet (see EngramOrigin).</summary>
        public EngramOrigin PSOrigin => new EngramOrigin(Destination, null);

        public override string ToString() => $"{Source} -> {Destination}";
    }
}
