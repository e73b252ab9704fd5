using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Three-way merges a branch into main, all-or-nothing.</summary>
    [Cmdlet(VerbsData.Merge, "EngramBranch", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(EngramMergeResult), typeof(EngramMergeConflict))]
    public sealed class MergeEngramBranchCommand : EngramCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string Namespace { get; set; } = "";

        /// <summary>Only these memories (wildcards allowed); default: everything the branch changed.</summary>
        [Parameter(Position = 1)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(KeyCompleter))]
        public string[]? Key { get; set; }

        /// <summary>Only these memories, by exact key (no character is a wildcard).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? LiteralKey { get; set; }

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(ForkBranchCompleter))]
        public string Branch { get; set; } = "";

        /// <summary>The branch to merge into; only main is supported.</summary>
        [Parameter]
        [ValidateSet("main")]
        public string Into { get; set; } = "main";

        [Parameter]
        public EngramMergeStrategy Strategy { get; set; } = EngramMergeStrategy.Fail;

        [Parameter]
        public string? Actor { get; set; }

        [Parameter]
        public string? Reason { get; set; }

        protected override void ProcessEngramRecord()
        {
            IEngramStore store;
            try { store = ResolveStore(); }
            catch (EngramException ex) { WriteEngramError(ex); return; }

            var selector = KeySelector.From(Key, LiteralKey, true);
            Func<string, bool>? filter = selector == null ? (Func<string, bool>?)null : selector.IsMatch;

            try
            {
                if (!ShouldProcess($"branch '{Branch}' of '{Namespace}' in {store.Root}", $"Merge into {Into} (strategy {Strategy})"))
                {
                    // -WhatIf: report the plan without writing anything.
                    if (MyInvocation.BoundParameters.ContainsKey("WhatIf"))
                    {
                        var plan = store.PlanMerge(Namespace, Branch, Strategy.ToCore(), filter);
                        WritePlan(plan, store);
                    }
                    return;
                }
                var result = store.Merge(Namespace, Branch, Strategy.ToCore(), ResolveActor(Actor), Reason, filter,
                    (done, total, key) => WriteProgressStep(1, $"Merging {Namespace}@{Branch} into {Into}", done, total, key));
                WriteObject(EngramMemory.Wrap(new EngramMergeResult(result, store.Root), EngramMergeResult.TypeName));
            }
            catch (MergeConflictException ex)
            {
                // Non-terminating, after the conflicts: $c = Merge-EngramBranch ... -ErrorAction SilentlyContinue captures
                // them, -ErrorAction Stop (or $ErrorActionPreference = 'Stop') makes it catchable.
                foreach (var item in ex.Plan.Conflicts)
                    WriteObject(EngramMemory.Wrap(new EngramMergeConflict(ex.Plan.Namespace, ex.Plan.Branch, item), EngramMergeConflict.TypeName));
                WriteEngramError(ex);
            }
            catch (EngramException ex)
            {
                WriteEngramError(ex);
            }
        }

        private void WritePlan(MergeResult plan, IEngramStore store)
        {
            foreach (var i in plan.Items)
                WriteVerbose($"{plan.Namespace}/{i.Key}: {i.Outcome}{(i.Resolution != null ? " -> " + i.Resolution : "")}");
            WriteObject(EngramMemory.Wrap(new EngramMergeResult(plan, store.Root), EngramMergeResult.TypeName));
        }
    }
}
