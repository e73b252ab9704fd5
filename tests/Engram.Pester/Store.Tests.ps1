# The store's lifecycle: Initialize-, Get-, Test-, Update- and Copy-EngramStore, Get-EngramNamespace.
BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'Initialize-EngramStore and Get-EngramStore' {
    BeforeEach { $store = New-TestStore }

    It 'creates a store with its config file' {
        $info = Initialize-EngramStore -Store $store
        $info.Backend | Should -Be 'file'
        $info.TrackedNamespaces | Should -Be @('shared', 'longterm')
        Join-Path $store 'engram.yaml' | Should -Exist
    }

    It '-WhatIf creates nothing' {
        Initialize-EngramStore -Store $store -WhatIf
        $store | Should -Not -Exist
    }

    It 'refuses a second Initialize with StoreAlreadyExists' {
        $null = Initialize-EngramStore -Store $store
        { Initialize-EngramStore -Store $store -ErrorAction Stop } | Should -Throw -ErrorId 'StoreAlreadyExists,*'
    }

    It 'takes -TrackedNamespace and -TrackAll' {
        (Initialize-EngramStore -Store $store -TrackedNamespace projects).TrackedNamespaces | Should -Be 'projects'
        $other = New-TestStore
        (Initialize-EngramStore -Store $other -TrackAll).TrackAll | Should -BeTrue
    }

    It 'creates the store on the first write' {
        Set-EngramMemory -Store $store session a 1
        (Get-EngramStore -Store $store).Format | Should -BeGreaterThan 0
    }

    It 'Get-EngramStore of a missing store says StoreNotFound' {
        { Get-EngramStore -Store $store -ErrorAction Stop } | Should -Throw -ErrorId 'StoreNotFound,*'
    }

    It 'Update-EngramStore on a current store has nothing to do' {
        $null = Initialize-EngramStore -Store $store
        $u = Update-EngramStore -Store $store -Confirm:$false
        $u.FromFormat | Should -Be $u.ToFormat
        $u.Applied | Should -BeFalse
    }
}

Describe 'Get-EngramNamespace' {
    BeforeAll {
        $store = New-TestStore
        Set-EngramMemory -Store $store shared a 1
        Set-EngramMemory -Store $store shared b 2
        Set-EngramMemory -Store $store project-x c 3
    }

    It 'lists the standard namespaces and the ones in use' {
        $names = (Get-EngramNamespace -Store $store).Name
        $names | Should -Contain 'shared'
        $names | Should -Contain 'thinking'
        $names | Should -Contain 'project-x'
    }

    It 'counts memories and tells tracked from untracked' {
        $ns = Get-EngramNamespace -Store $store | Where-Object MemoryCount -gt 0 | Sort-Object Name
        $ns.Name | Should -Be @('project-x', 'shared')
        $ns | ForEach-Object MemoryCount | Should -Be @(1, 2)
        $ns.Tracked | Should -Be @($false, $true)
    }

    It 'never shows _provenance' {
        (Get-EngramNamespace -Store $store).Name | Should -Not -Contain '_provenance'
    }

    It 'filters by -Name' {
        (Get-EngramNamespace -Store $store -Name shared).MemoryCount | Should -Be 2
    }
}

Describe 'Test-EngramStore' {
    BeforeEach {
        $store = New-TestStore
        Set-EngramMemory -Store $store shared a 1
        Set-EngramMemory -Store $store session b 2
    }

    It 'reports a healthy store with its counts' {
        $r = Test-EngramStore -Store $store
        $r.Healthy | Should -BeTrue
        $r.MemoriesChecked | Should -Be 2
        $r.HistoriesChecked | Should -Be 1
    }

    It '-Quiet gives $true for a healthy store' {
        Test-EngramStore -Store $store -Quiet | Should -BeExactly $true
    }

    It 'finds a memory file that does not parse' {
        $file = Get-ChildItem -Recurse -File (Join-Path $store 'session') | Select-Object -First 1
        Set-Content -Path $file.FullName -Value "::: not yaml {"
        $r = Test-EngramStore -Store $store -ErrorAction SilentlyContinue
        $r.Healthy | Should -BeFalse
        $r.Findings | Should -Not -BeNullOrEmpty
    }
}

Describe 'Copy-EngramStore' {
    BeforeAll {
        $source = New-TestStore
        Set-EngramMemory -Store $source shared plan 'v1' -Actor alice
        Set-EngramMemory -Store $source shared plan 'v2' -Actor bob
        Set-EngramMemory -Store $source session note 'hi'
    }

    It 'copies a file store into SQLite with its whole history' {
        $dest = New-TestStore -Kind Sqlite
        $r = Copy-EngramStore -Source $source -Destination $dest -Confirm:$false
        $r.Healthy | Should -BeTrue
        $r.Memories | Should -Be 2
        $r.DestinationBackend | Should -Be 'sqlite'
        (Get-EngramProvenance -Store $dest shared plan).Actor | Should -Be @('alice', 'bob')
        (Get-EngramMemory -Store $dest session note).Value | Should -Be 'hi'
    }

    It 'keeps the hash chain identical across backends' {
        $dest = New-TestStore -Kind Sqlite
        $null = Copy-EngramStore -Source $source -Destination $dest -Confirm:$false
        (Get-EngramProvenance -Store $dest shared plan).Hash | Should -Be (Get-EngramProvenance -Store $source shared plan).Hash
    }

    It 'refuses a destination that holds memories with StoreAlreadyExists' {
        $dest = New-TestStore
        Set-EngramMemory -Store $dest shared x 1
        { Copy-EngramStore -Source $source -Destination $dest -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'StoreAlreadyExists,*'
    }

    It '-WhatIf copies nothing' {
        $dest = New-TestStore
        Copy-EngramStore -Source $source -Destination $dest -WhatIf
        Get-EngramMemory -Store $dest -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
