# Set-, Get- and Remove-EngramMemory as users drive them: pipelines, typed values, wildcards, -WhatIf, error ids.
BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'Set-EngramMemory and Get-EngramMemory' {
    BeforeEach { $store = New-TestStore }

    It 'round-trips a string' {
        Set-EngramMemory -Store $store -Namespace shared -Key greeting -Value 'hello'
        (Get-EngramMemory -Store $store -Namespace shared -Key greeting).Value | Should -BeExactly 'hello'
    }

    It 'writes one YAML file per memory under the namespace folder' {
        Set-EngramMemory -Store $store shared deploy-target 'production'
        $file = Get-ChildItem -Path (Join-Path $store 'shared') -Filter 'deploy-target*' -Recurse -File
        $file | Should -HaveCount 1
        Get-Content -Raw $file.FullName | Should -Match 'production'
    }

    It 'keeps value types: <Name>' -ForEach @(
        @{ Name = 'int'; Value = 8080; Type = [int] }
        @{ Name = 'long'; Value = 5000000000; Type = [long] }
        @{ Name = 'double'; Value = 0.25; Type = [double] }
        @{ Name = 'bool'; Value = $true; Type = [bool] }
        @{ Name = 'datetime'; Value = [datetime]'2026-01-15T10:30:00'; Type = [datetime] }
        @{ Name = 'guid'; Value = [guid]'6f0c8a52-3d4e-4b7a-9a1e-2c5e8f1b7d40'; Type = [guid] }
    ) {
        Set-EngramMemory -Store $store shared typed $Value
        $read = (Get-EngramMemory -Store $store shared typed).Value
        $read | Should -BeOfType $Type
        $read | Should -Be $Value
    }

    It 'keeps a hashtable with nested list and int' {
        Set-EngramMemory -Store $store shared config @{ port = 8080; hosts = @('web-1', 'web-2') }
        $v = (Get-EngramMemory -Store $store shared config).Value
        $v.port | Should -BeOfType [int]
        $v.port | Should -Be 8080
        $v.hosts | Should -Be @('web-1', 'web-2')
    }

    It 'keeps a PSCustomObject as properties' {
        Set-EngramMemory -Store $store longterm service ([pscustomobject]@{ name = 'billing'; port = 443 })
        $v = (Get-EngramMemory -Store $store longterm service).Value
        $v.name | Should -Be 'billing'
        $v.port | Should -Be 443
    }

    It 'stores $null and reads it back as $null' {
        Set-EngramMemory -Store $store session nothing $null
        $m = Get-EngramMemory -Store $store session nothing
        $m | Should -Not -BeNullOrEmpty
        $m.Value | Should -BeNullOrEmpty
    }

    It 'counts versions up on every write' {
        1..3 | ForEach-Object { Set-EngramMemory -Store $store shared counter $_ }
        $m = Get-EngramMemory -Store $store shared counter
        $m.Version | Should -Be 3
        $m.Value | Should -Be 3
    }

    It '-PassThru returns the written memory' {
        $m = Set-EngramMemory -Store $store shared k 'v' -Tag a, b -PassThru
        $m.Namespace | Should -Be 'shared'
        $m.Key | Should -Be 'k'
        $m.Version | Should -Be 1
        $m.Tags | Should -Be @('a', 'b')
        $m.Branch | Should -Be 'main'
    }

    It 'writes nothing without -PassThru' {
        Set-EngramMemory -Store $store shared k 'v' | Should -BeNullOrEmpty
    }

    It 'lists a namespace with Key wildcards' {
        'deploy-a', 'deploy-b', 'other' | ForEach-Object { Set-EngramMemory -Store $store shared $_ 1 }
        (Get-EngramMemory -Store $store shared deploy* | Sort-Object Key).Key | Should -Be @('deploy-a', 'deploy-b')
    }

    It 'lists every namespace without arguments' {
        Set-EngramMemory -Store $store shared a 1
        Set-EngramMemory -Store $store session b 2
        (Get-EngramMemory -Store $store | Sort-Object Namespace).Namespace | Should -Be @('session', 'shared')
    }

    It 'takes several keys at once' {
        'x', 'y', 'z' | ForEach-Object { Set-EngramMemory -Store $store thinking $_ $_ }
        (Get-EngramMemory -Store $store thinking x, z).Value | Sort-Object | Should -Be @('x', 'z')
    }

    It 'filters by -Tag' {
        Set-EngramMemory -Store $store shared a 1 -Tag infra
        Set-EngramMemory -Store $store shared b 2 -Tag docs
        (Get-EngramMemory -Store $store -Tag infra).Key | Should -Be 'a'
    }

    It 'groups memories by namespace with Group-Object' {
        1..3 | ForEach-Object { Set-EngramMemory -Store $store shared "s$_" $_ }
        1..2 | ForEach-Object { Set-EngramMemory -Store $store session "t$_" $_ }
        $groups = Get-EngramMemory -Store $store | Group-Object Namespace | Sort-Object Name
        $groups.Name | Should -Be @('session', 'shared')
        $groups | ForEach-Object Count | Should -Be @(2, 3)
    }

    It 'sorts and selects like any object' {
        Set-EngramMemory -Store $store shared b 2
        Set-EngramMemory -Store $store shared a 1
        Set-EngramMemory -Store $store shared c 3
        $top = Get-EngramMemory -Store $store shared | Sort-Object { $_.Value } -Descending | Select-Object -First 2 -ExpandProperty Key
        $top | Should -Be @('c', 'b')
    }

    It 'converts to JSON with its properties' {
        Set-EngramMemory -Store $store shared cfg @{ port = 8080 }
        $json = Get-EngramMemory -Store $store shared cfg | Select-Object Namespace, Key, Value, Version | ConvertTo-Json | ConvertFrom-Json
        $json.Namespace | Should -Be 'shared'
        $json.Key | Should -Be 'cfg'
        $json.Value.port | Should -Be 8080
        $json.Version | Should -Be 1
    }

    It 'exports to CSV and imports back by property name (Key/Value columns)' {
        $csv = Join-Path $TestDrive 'facts.csv'
        @([pscustomobject]@{ Key = 'sky'; Value = 'blue' }, [pscustomobject]@{ Key = 'grass'; Value = 'green' }) | Export-Csv -Path $csv
        Import-Csv $csv | Set-EngramMemory -Store $store -Namespace longterm
        (Get-EngramMemory -Store $store longterm | Sort-Object Key).Value | Should -Be @('green', 'blue')
    }

    It 'copies a namespace through the pipeline' {
        Set-EngramMemory -Store $store session a 1
        Set-EngramMemory -Store $store session b @{ n = 2 }
        Get-EngramMemory -Store $store -Namespace session | Set-EngramMemory -Store $store -Namespace thinking
        $copied = Get-EngramMemory -Store $store thinking | Sort-Object Key
        $copied.Key | Should -Be @('a', 'b')
        $copied[1].Value.n | Should -Be 2
    }

    It '-WhatIf writes nothing' {
        Set-EngramMemory -Store $store shared k 'v' -WhatIf
        Get-EngramMemory -Store $store -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'records -Actor and -Reason in the history' {
        Set-EngramMemory -Store $store shared k 'v' -Actor alice -Reason 'first'
        $p = Get-EngramProvenance -Store $store shared k
        $p.Actor | Should -Be 'alice'
        $p.Reason | Should -Be 'first'
    }

    It 'takes the actor from $env:ENGRAM_ACTOR' {
        $env:ENGRAM_ACTOR = 'from-env'
        try { Set-EngramMemory -Store $store shared k 'v' } finally { Remove-Item Env:ENGRAM_ACTOR }
        (Get-EngramProvenance -Store $store shared k).Actor | Should -Be 'from-env'
    }

    It 'uses $env:ENGRAM_STORE when -Store is not given' {
        $env:ENGRAM_STORE = $store
        try {
            Set-EngramMemory shared via-env 'yes'
            (Get-EngramMemory shared via-env).Value | Should -Be 'yes'
        } finally { Remove-Item Env:ENGRAM_STORE }
        (Get-EngramMemory -Store $store shared via-env).Store | Should -Be $store
    }
}

Describe 'Errors of the memory cmdlets' {
    BeforeEach { $store = New-TestStore; Set-EngramMemory -Store $store shared existing 'v' }

    It 'refuses the reserved namespace with ReservedNamespace' {
        { Set-EngramMemory -Store $store -Namespace _provenance -Key x -Value 1 -ErrorAction Stop } | Should -Throw -ErrorId 'ReservedNamespace,*'
    }

    It 'refuses a bad namespace with InvalidNamespace' {
        { Set-EngramMemory -Store $store -Namespace 'bad/name' -Key x -Value 1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidNamespace,*'
    }

    It 'refuses a key over 512 characters with InvalidKey' {
        { Set-EngramMemory -Store $store -Namespace shared -Key ('k' * 513) -Value 1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidKey,*'
    }

    It 'keeps a key with path characters inside the namespace folder' {
        Set-EngramMemory -Store $store -Namespace shared -Key '../escape' -Value 1
        (Get-EngramMemory -Store $store shared '../escape').Value | Should -Be 1
        Get-ChildItem -Path (Split-Path $store) -Filter '*escape*' | Should -BeNullOrEmpty
    }

    It 'reports a missing key as MemoryNotFound' {
        { Get-EngramMemory -Store $store shared nope -ErrorAction Stop } | Should -Throw -ErrorId 'MemoryNotFound,*'
    }

    It 'keeps going after a non-terminating MemoryNotFound' {
        $found = Get-EngramMemory -Store $store shared nope, existing -ErrorAction SilentlyContinue -ErrorVariable errs
        $found.Key | Should -Be 'existing'
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MemoryNotFound*'
    }

    It 'reports a missing store as StoreNotFound' {
        { Get-EngramMemory -Store (Join-Path $TestDrive 'nowhere') -ErrorAction Stop } | Should -Throw -ErrorId 'StoreNotFound,*'
    }

    It 'refuses to turn off provenance of a tracked memory with ProvenanceRequired' {
        { Set-EngramMemory -Store $store shared existing 'x' -TrackProvenance:$false -ErrorAction Stop } | Should -Throw -ErrorId 'ProvenanceRequired,*'
        (Get-EngramMemory -Store $store shared existing).Value | Should -Be 'v'
    }

    It 'refuses an unsupported value type with UnsupportedValueType and leaves the store as it was' {
        $before = Get-ChildItem -Recurse -File $store | Get-FileHash | Select-Object -ExpandProperty Hash
        { Set-EngramMemory -Store $store shared existing ([System.IO.MemoryStream]::new()) -ErrorAction Stop } | Should -Throw -ErrorId 'UnsupportedValueType,*'
        Get-ChildItem -Recurse -File $store | Get-FileHash | Select-Object -ExpandProperty Hash | Should -Be $before
    }
}

Describe 'Remove-EngramMemory' {
    BeforeEach {
        $store = New-TestStore
        'tmp-1', 'tmp-2', 'keep' | ForEach-Object { Set-EngramMemory -Store $store session $_ 1 }
    }

    It 'removes one memory' {
        Remove-EngramMemory -Store $store session keep -Confirm:$false
        (Get-EngramMemory -Store $store session).Key | Sort-Object | Should -Be @('tmp-1', 'tmp-2')
    }

    It 'removes by wildcard' {
        Remove-EngramMemory -Store $store session tmp-* -Confirm:$false
        (Get-EngramMemory -Store $store session).Key | Should -Be 'keep'
    }

    It '-WhatIf removes nothing' {
        Remove-EngramMemory -Store $store session tmp-* -WhatIf
        Get-EngramMemory -Store $store session | Should -HaveCount 3
    }

    It 'removes what the pipeline brings' {
        Get-EngramMemory -Store $store session tmp-* | Remove-EngramMemory -Store $store -Confirm:$false
        (Get-EngramMemory -Store $store session).Key | Should -Be 'keep'
    }

    It 'records the removal in the history of a tracked memory' {
        Set-EngramMemory -Store $store shared gone 'v'
        Remove-EngramMemory -Store $store shared gone -Reason 'obsolete' -Confirm:$false
        $last = Get-EngramProvenance -Store $store shared gone -Last 1
        $last.Action | Should -Be 'deleted'
        $last.Reason | Should -Be 'obsolete'
    }
}
