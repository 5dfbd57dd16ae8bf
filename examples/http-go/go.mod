module unik.example/http-go

go 1.19
