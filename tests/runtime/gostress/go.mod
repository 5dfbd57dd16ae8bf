module unik.test/gostress

go 1.19
