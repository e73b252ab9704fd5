using System.Management.Automation;
using Engram.Core;
using Engram.Core.History;

namespace Engram.PowerShell.Commands
{
    /// <summary>Compares two versions, or two branches, of a memory: one object per changed property.</summary>
    [Cmdlet(VerbsData.Compare, "EngramMemory")]
    [OutputType(typeof(EngramMemoryChange))]
    public sealed class CompareEngramMemoryCommand : MemoryCmdlet
    {
        /// <summary>The older side: default the version before -ToVersion (or the current value on -FromBranch when comparing branches).</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int FromVersion { get; set; }

        /// <summary>The newer side: default the current version.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int ToVersion { get; set; }

        [Parameter]
        [ArgumentCompleter(typeof(BranchCompleter))]
        [ValidateNotNullOrEmpty]
        public string FromBranch { get; set; } = "main";

        [Parameter]
        [ArgumentCompleter(typeof(BranchCompleter))]
        [ValidateNotNullOrEmpty]
        public string ToBranch { get; set; } = "main";

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                store.EnsureExists();
                bool hasFrom = MyInvocation.BoundParameters.ContainsKey(nameof(FromVersion));
                bool hasTo = MyInvocation.BoundParameters.ContainsKey(nameof(ToVersion));
                bool acrossBranches = Names.NormalizeBranch(FromBranch) != Names.NormalizeBranch(ToBranch);

                object? toValue;
                int toVersion;
                if (hasTo) { toVersion = ToVersion; toValue = store.GetVersion(Namespace, Key, ToVersion, ToBranch).Value; }
                else
                {
                    var current = store.TryGet(Namespace, Key, ToBranch) ?? throw new EngramException(EngramErrorIds.MemoryNotFound, EngramErrorKind.NotFound,
                        $"No memory '{Key}' in '{Namespace}'{(ToBranch == "main" ? "" : " on branch " + ToBranch)}.", Key);
                    toVersion = current.Version;
                    toValue = current.Value;
                }

                object? fromValue;
                int fromVersion;
                if (hasFrom) { fromVersion = FromVersion; fromValue = store.GetVersion(Namespace, Key, FromVersion, FromBranch).Value; }
                else if (acrossBranches)
                {
                    var other = store.TryGet(Namespace, Key, FromBranch);
                    fromVersion = other?.Version ?? 0;
                    fromValue = other?.Value;
                }
                else
                {
                    if (toVersion <= 1)
                        throw new EngramException(EngramErrorIds.VersionNotFound, EngramErrorKind.NotFound,
                            $"'{Key}' in '{Namespace}' has no version before {toVersion}; give -FromVersion or -FromBranch.", Key);
                    fromVersion = toVersion - 1;
                    fromValue = store.GetVersion(Namespace, Key, fromVersion, FromBranch).Value;
                }

                var fromLabel = Names.NormalizeBranch(FromBranch) + " v" + fromVersion;
                var toLabel = Names.NormalizeBranch(ToBranch) + " v" + toVersion;
                foreach (var change in ValueDiff.Compare(fromValue, toValue))
                    WriteObject(EngramMemory.Wrap(new EngramMemoryChange(Names.NormalizeNamespace(Namespace), Key, change, fromLabel, toLabel), EngramMemoryChange.TypeName));
            });
        }
    }
}
