
beta
