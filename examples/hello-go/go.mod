module unik.example/hello-go

go 1.19
