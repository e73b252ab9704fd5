using System.Linq;
using System.Management.Automation;
using Engram.Core;
using Engram.Core.Values;

namespace Engram.PowerShell.Commands
{
    /// <summary>Creates or revises a memory; tracked memories get a provenance entry in the same atomic change.</summary>
    [Cmdlet(VerbsCommon.Set, "EngramMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(EngramMemory))]
    public sealed class SetEngramMemoryCommand : MemoryCmdlet
    {
        private static readonly char[] TagSeparator = { ',' };

        /// <summary>Any PowerShell data: strings, numbers, booleans, dates, arrays, hashtables, objects. From the
        /// pipeline: a piped object's Value property when it has one (memory objects, CSV rows), else the object itself
        /// ('hello' | Set-EngramMemory notes readme).</summary>
        [Parameter(Mandatory = true, Position = 2, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [AllowNull, AllowEmptyString, AllowEmptyCollection]
        public object? Value { get; set; }

        /// <summary>Tags; when omitted the memory keeps its current tags.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Tags")]
        [AllowEmptyCollection]
        public string[]? Tag { get; set; }

        /// <summary>Who makes the change. Default: $env:ENGRAM_ACTOR, else the OS user name.</summary>
        [Parameter]
        public string? Actor { get; set; }

        /// <summary>Why the change is made; recorded in the provenance entry.</summary>
        [Parameter]
        public string? Reason { get; set; }

        /// <summary>Force provenance on (-TrackProvenance) or off (-TrackProvenance:$false) for this write.</summary>
        [Parameter]
        public SwitchParameter TrackProvenance { get; set; }


        /// <summary>The branch (default: main, or the branch of a piped memory object; a CSV column never sets it).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(BranchCompleter))]
        [ValidateNotNullOrEmpty]
        public string Branch { get; set; } = "main";

        /// <summary>The provenance action: revised (default for changes), synthesized, crystallized, … (a lower-case word).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(ActionCompleter))]
        public string? Action { get; set; }

        /// <summary>Memories the value was derived from: 'ns/key', 'ns/key@version', or memory objects. Each is
        /// recorded pinned to the exact version used, and indexed so Get-EngramLineage -Direction Down is cheap.</summary>
        [Parameter]
        public object[]? DerivedFrom { get; set; }

        /// <summary>How sure the actor is of the value, from 0 to 1.</summary>
        [Parameter]
        public double? Confidence { get; set; } // 0..1, checked by the engine (InvalidConfidence)

        /// <summary>Write only if the memory is at this version now (0: only if it does not exist yet); otherwise the write is
        /// refused with VersionConflict and nothing changes. The check is made under the store's write lock.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int? ExpectedVersion { get; set; }

        /// <summary>Emit the memory as written.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        private bool _valueFromCommandLine, _tagFromCommandLine;
        private PipelineBatch<SetRequest, SetOutcome>? _batch; // piped records: committed together (see PipelineBatch)

        protected override void BeginEngramProcessing()
        {
            _valueFromCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(Value));
            _tagFromCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(Tag));
            _batch = BatchPipedRecords<SetRequest, SetOutcome>((store, requests) => store.SetMany(requests));
        }

        protected override void ProcessEngramRecord()
        {
            try
            {
                var store = ResolveStore();
                var branch = EffectiveBranch(Branch);
                var value = Value;
                var tags = Tag;
                if (!_valueFromCommandLine) value = PipedValue(value);
                if (!_tagFromCommandLine && PipedOrigin == null && tags != null && tags.Length == 1)
                    tags = tags[0].Split(TagSeparator, System.StringSplitOptions.RemoveEmptyEntries); // a CSV row's joined Tags
                var request = new SetRequest(Namespace, Key, ValueConverter.ToCore(value))
                {
                    Tags = tags,
                    Actor = ResolveActor(Actor),
                    Reason = Reason,
                    Branch = branch,
                    Action = Action,
                    Confidence = Confidence,
                    ExpectedVersion = ExpectedVersion,
                    DerivedFrom = DerivedFrom?.Select(MemoryRefConverter.Convert).ToList(),
                    TrackProvenance = MyInvocation.BoundParameters.ContainsKey(nameof(TrackProvenance)) ? TrackProvenance.IsPresent : (bool?)null,
                };
                Names.NormalizeNamespace(Namespace);
                Names.ValidateKey(Key);
                var onBranch = Names.NormalizeBranch(branch) == Names.DefaultBranch ? "" : "@" + branch;
                if (!ShouldProcess($"{Namespace}/{Key}{onBranch} in {store.Root}", "Set memory")) return;
                if (_batch == null)
                {
                    Report(store, store.Set(request));
                    return;
                }
                _batch.Add(store, request, ValueCodec.SizeBound(request.Value, PipelineBatch<SetRequest, SetOutcome>.MaxBytes), outcome =>
                {
                    if (outcome.Error != null) WriteErrorNow(AsEngramException(outcome.Error));
                    else Report(store, outcome.Result!);
                });
            }
            catch (EngramException ex)
            {
                WriteEngramError(ex);
            }
            catch (System.Exception ex) when (IsUnexpected(ex))
            {
                _batch?.Flush(); // what was piped before is still written (and reported) before the command stops
                throw;
            }
        }

        /// <summary>A write's verbose line and, with -PassThru, the memory as written.</summary>
        private void Report(IEngramStore store, SetResult result)
        {
            var m = result.Memory;
            if (!result.Changed) WriteVerbose($"{m.Namespace}/{m.Key} already holds that value (version {m.Version}); nothing written.");
            else WriteVerbose($"{m.Namespace}/{m.Key} is now version {m.Version}{(result.Entry != null ? $" (provenance entry {result.Entry.Seq})" : " (untracked)")}.");
            if (PassThru) WriteObject(new EngramMemory(m, store.Root).ToPSObject());
        }

        /// <summary>
        /// The value of a piped object: its Value property when it has one (by property name: memory objects, CSV
        /// rows, DictionaryEntry), else the object itself (by value). A CSV cell that holds only a type name
        /// (Export-Csv writes "System.Collections.Hashtable" for a hashtable) is refused: that value was lost on export.
        /// </summary>
        private object? PipedValue(object? piped)
        {
            if (piped == null) return null;
            var pso = PSObject.AsPSObject(piped);
            if (pso.BaseObject is string || pso.BaseObject is System.Collections.IDictionary) return piped;
            var property = pso.Properties["Value"];
            if (property == null) return piped;
            var value = property.Value;
            if (PipedOrigin == null && (value is PSObject p ? p.BaseObject : value) is string text && ValueConverter.IsTypeNameOfCollection(text))
                throw new EngramException(EngramErrorIds.UnsupportedValueType, EngramErrorKind.InvalidArgument,
                    $"The piped Value of '{Key}' is the text '{text}': the name of a type, which is what Export-Csv writes for a " +
                    "hashtable, array or object, so the value itself was lost before it reached Engram. Nothing was written. Carry such " +
                    "values through Export-Clixml/Import-Clixml or ConvertTo-Json, or pass -Value to store this text on purpose.", text);
            return value;
        }
    }
}
